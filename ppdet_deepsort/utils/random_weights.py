"""Random detector weights that behave like trained ones, for the benchmarks and tests: no pretrained detector
weights can be had offline, and freshly initialized ones either give no boxes or boxes thousands of pixels
wide whose comparison says little."""

import numpy as np
import paddle
from paddle.nn.layer.norm import _BatchNormBase

__all__ = ['randomize_detector']


def randomize_detector(layer, inputs=None, seed=0):
    """Give ``layer`` He-scaled random convolutions, then set every batch norm's running statistics to those of
    its input on ``inputs`` (a real frame as the network sees it: dict of arrays), in one pass from the first
    layer to the last. Every layer's output then has the unit scale of a trained network's, so the heads give
    boxes and scores in a realistic range; they still change from frame to frame as no trained detector's
    would. Without ``inputs`` the statistics stay at their initial values: boxes are then mostly huge, clipped
    to the whole frame, and so steady enough to make tracks of."""
    rng = np.random.RandomState(seed)
    state = layer.state_dict()
    for key, value in state.items():
        if key.endswith('weight') and len(value.shape) == 4:
            fan_in = int(np.prod(value.shape[1:]))
            state[key] = paddle.to_tensor((rng.normal(0, 1, value.shape) / np.sqrt(fan_in)).astype('float32'))
    layer.set_state_dict(state)
    layer.eval()
    if inputs is None:
        return layer

    def calibrate(norm, args):
        norm._mean.set_value(args[0].mean(axis=[0, 2, 3]))
        norm._variance.set_value(args[0].var(axis=[0, 2, 3]))

    hooks = [norm.register_forward_pre_hook(calibrate) for norm in layer.sublayers()
             if isinstance(norm, _BatchNormBase)]
    try:
        with paddle.no_grad():
            layer({k: paddle.to_tensor(v) for k, v in inputs.items()})
    finally:
        for hook in hooks:
            hook.remove()
    return layer
