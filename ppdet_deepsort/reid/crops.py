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
    width, height = size
    im_h, im_w = image.shape[:2]
    x1 = np.clip(np.floor(tlwh[:, 0]), 0, im_w - 1).astype(np.int64)
    y1 = np.clip(np.floor(tlwh[:, 1]), 0, im_h - 1).astype(np.int64)
    x2 = np.maximum(np.clip(np.ceil(tlwh[:, 0] + tlwh[:, 2]), 0, im_w).astype(np.int64), x1 + 1)
    y2 = np.maximum(np.clip(np.ceil(tlwh[:, 1] + tlwh[:, 3]), 0, im_h).astype(np.int64), y1 + 1)
    batch = np.empty((len(tlwh), height, width, 3), np.uint8)
    for i in range(len(tlwh)):
        batch[i] = cv2.resize(image[y1[i]:y2[i], x1[i]:x2[i]], (width, height), interpolation=cv2.INTER_LINEAR)
    rgb = batch[..., ::-1].astype(np.float32) / 255.
    out = (rgb - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
