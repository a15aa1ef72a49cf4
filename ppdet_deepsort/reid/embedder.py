"""From a frame and its boxes to appearance embeddings: crops, one batch per frame, one model call."""

import numpy as np
import paddle

from .crops import crop_batch

__all__ = ['ReIDEmbedder', 'DygraphReID']


class DygraphReID:
    """A paddle ``nn.Layer`` (N x 3 x H x W -> N x D) run in dygraph mode, in eval mode, without grads."""

    def __init__(self, layer):
        self.layer = layer
        self.layer.eval()

    def __call__(self, batch):
        with paddle.no_grad():
            return self.layer(paddle.to_tensor(batch)).numpy()


class ReIDEmbedder:
    """Embeds the boxes of a frame.

    Args:
        model (callable): N x 3 x H x W float32 array -> N x D array.
        input_size (list[int]): crop size [w, h] (the tracker's ``input_size``, as in ppdet).
    """

    def __init__(self, model, input_size):
        self.model = model
        self.input_size = tuple(input_size)
        self._dim = 0

    def __call__(self, image, tlwh):
        """N x D float32 embeddings of the boxes ``tlwh`` (N x 4) in the BGR ``image``; all in one batch."""
        if len(tlwh) == 0:
            return np.zeros((0, self._dim), np.float32)
        embeddings = np.asarray(self.model(crop_batch(image, tlwh, self.input_size)), np.float32)
        self._dim = embeddings.shape[1]
        return embeddings
