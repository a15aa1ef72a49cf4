"""The one ReID augmentation ppdet's transform operators lack, registered as a ppdet operator so that
``TrainReader.sample_transforms`` can list it beside ppdet's own ``Resize``, ``RandomFlip``, ``Pad``,
``NormalizeImage``, ``RandomErasingImage`` and ``Permute``."""

import numpy as np
import ppdet.data.transform as transform
from ppdet.data.transform.operators import BaseOperator, register_op

from ..errors import ConfigError

__all__ = ['RandomCropToSize']


@register_op
class RandomCropToSize(BaseOperator):
    """Cut a window of ``size`` [h, w] at a random place out of the (padded) image: with ``Pad`` before it,
    the pad-and-crop shift of ReID training. ppdet's ``RandomCrop`` is the detection crop, with a random size
    and box constraints. ``gt_bbox`` becomes the whole window, for ``RandomErasingImage`` after it."""

    def __init__(self, size):
        super().__init__()
        if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(s, int) and s > 0
                                                                         for s in size)):
            raise ConfigError("RandomCropToSize.size: expected [height, width] in pixels, got {!r}".format(size))
        self.size = list(size)

    def apply(self, sample, context=None):
        image = sample['image']
        h, w = self.size
        if image.shape[0] < h or image.shape[1] < w:
            raise ValueError("RandomCropToSize: image {}x{} is smaller than the window {}x{} (Resize and Pad "
                             "before it)".format(image.shape[0], image.shape[1], h, w))
        y, x = np.random.randint(0, image.shape[0] - h + 1), np.random.randint(0, image.shape[1] - w + 1)
        sample['image'] = image[y:y + h, x:x + w]
        sample['im_shape'] = np.array([h, w], np.float32)
        sample['gt_bbox'] = np.array([[0, 0, w, h]], np.float32)
        return sample


# ppdet's readers look operators up in ppdet.data.transform, which copied the operator list at import
transform.RandomCropToSize = RandomCropToSize
