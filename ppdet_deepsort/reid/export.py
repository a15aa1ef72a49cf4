"""Saving a ReID model as a static inference model (paddle 3.x), which ppdet 2.6's ``Trainer.export``
cannot do there ("Can't call main_program when full_graph=False")."""

import os

import paddle
from paddle.static import InputSpec

__all__ = ['export_reid', 'MODEL_PREFIX']

MODEL_PREFIX = 'model'


def export_reid(layer, input_size, output_dir):
    """Save ``layer`` (N x 3 x H x W -> N x D) to ``output_dir/model.*`` with the input named ``crops``.

    Args:
        input_size (list[int]): crop size [w, h]; the batch size stays free.

    Returns:
        the path prefix of the saved model.
    """
    width, height = input_size
    layer.eval()
    static = paddle.jit.to_static(layer, input_spec=[InputSpec([None, 3, height, width], 'float32', 'crops')],
                                  full_graph=True)
    os.makedirs(output_dir, exist_ok=True)
    prefix = os.path.join(output_dir, MODEL_PREFIX)
    paddle.jit.save(static, prefix)
    return prefix
