"""Person crops for ReID: cut each box out of the frame, resize, and normalize like the model expects."""

import cv2
import numpy as np

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def crop_batch(image, tlwh, size, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """N x 3 x H x W float32 batch of the boxes ``tlwh`` (N x 4) cut out of a BGR ``image``.

    Boxes are clipped to the image (at least one pixel is kept), resized to ``size`` = (w, h) with
    bilinear interpolation, turned to RGB, scaled to [0, 1] and normalized with ``mean``/``std``.
    Unlike ppdet 2.6's ``get_crops``, which indexes a transposed frame and so hands the model crops
    rotated by 90 degrees and mirrored, crops here are upright.
    """
    im_h, im_w = image.shape[:2]
    x1 = np.clip(np.floor(tlwh[:, 0]), 0, im_w - 1).astype(np.int64)
    y1 = np.clip(np.floor(tlwh[:, 1]), 0, im_h - 1).astype(np.int64)
    x2 = np.maximum(np.clip(np.ceil(tlwh[:, 0] + tlwh[:, 2]), 0, im_w).astype(np.int64), x1 + 1)
    y2 = np.maximum(np.clip(np.ceil(tlwh[:, 1] + tlwh[:, 3]), 0, im_h).astype(np.int64), y1 + 1)
    crops = [image[top:bottom, left:right] for left, top, right, bottom in zip(x1, y1, x2, y2)]
    # OpenCV's blob maker resizes, swaps to RGB, subtracts the mean and scales in one C++ pass.
    batch = cv2.dnn.blobFromImages(crops, 1. / 255, tuple(size), tuple(255. * np.asarray(mean)), swapRB=True,
                                   crop=False)
    batch /= np.asarray(std, np.float32)[None, :, None, None]
    return batch
