"""PCB + Pyramid person ReID (PaddleClas), registered as ``PCBPyramidEmbedding``.

Weight compatible with ppdet's ``PCBPyramid``: the same backbone (ppdet's ReID ResNet, last stride 1) and
the same parameter names and shapes, classifier heads included, so PaddleDetection's published
``deepsort_pcb_pyramid_r101.pdparams`` loads unchanged. What differs is inference: each of the 21 pyramid
branches pools 1 to 6 consecutive stripes, and here every branch's average and max are assembled from the
six stripes' own averages and maxima (stripes have equal size, so the mean of means is the mean), one
pooling per pyramid level instead of two per branch over the whole feature map, and the classifier heads
are not run.
"""

from typing import Literal

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from ppdet.core.workspace import register
from ppdet.modeling.reid.resnet import ResNet50, ResNet101

from ..checks import check_types, require

__all__ = ['PCBPyramidEmbedding']


@register
class PCBPyramidEmbedding(nn.Layer):
    """PCB Pyramid person ReID embedding. YAML section ``PCBPyramidEmbedding``.

    Input: N x 3 x 192 x 64 RGB crops scaled to [0, 1] and normalized with ImageNet mean/std (the
    tracker's ``input_size: [64, 192]``). Output: N x (21 * ``num_conv_out_channels``), 2688 by default.

    Args:
        model_name (str): backbone, 'ResNet101' or 'ResNet50'. Default 'ResNet101'.
        num_stripes (int): horizontal stripes; branches pool 1..num_stripes consecutive ones. Default 6.
        num_classes (int): identities of the training set (classifier heads, training only). Default 751.
        num_conv_out_channels (int): channels per branch. Default 128.
        input_ch (int): backbone output channels. Default 2048.
        last_conv_stride (int): stride of the backbone's last stage. Default 1.
    """

    TRAINING_HEADS = ('pyramid_fc_list0.', )  # sized by the training set; loaded only when the sizes agree

    def __init__(self,
                 model_name: Literal['ResNet101', 'ResNet50'] = 'ResNet101',
                 num_stripes: int = 6,
                 num_classes: int = 751,
                 num_conv_out_channels: int = 128,
                 input_ch: int = 2048,
                 last_conv_stride: int = 1):
        super().__init__()
        name = type(self).__name__
        check_types(name, PCBPyramidEmbedding.__init__, locals())
        require(name, 'num_stripes', num_stripes >= 1, 'an int >= 1', num_stripes)
        self.num_stripes = num_stripes
        branches = num_stripes * (num_stripes + 1) // 2  # runs of 1..num_stripes consecutive stripes
        self.base = {'ResNet101': ResNet101, 'ResNet50': ResNet50}[model_name](
            lr_mult=0.1, last_conv_stride=last_conv_stride, last_conv_dilation=1)
        self.pyramid_conv_list0 = nn.LayerList([
            nn.Sequential(nn.Conv2D(input_ch, num_conv_out_channels, 1), nn.BatchNorm2D(num_conv_out_channels),
                          nn.ReLU()) for _ in range(branches)])
        self.pyramid_fc_list0 = nn.LayerList([nn.Linear(num_conv_out_channels, num_classes) for _ in range(branches)])

    def forward(self, x):
        feat = self.base(x)
        n, c, h, w = feat.shape
        if h % self.num_stripes:
            raise ValueError("feature map height {} is not a multiple of {} stripes: crops must be 192 high (or a "
                             "multiple of {})".format(h, self.num_stripes, 8 * self.num_stripes))
        # Pooling layers rather than reductions: oneDNN runs these fast on the exported model.
        stripe = (h // self.num_stripes, w)
        avg = F.avg_pool2d(feat, stripe, stride=stripe)  # n x c x stripes x 1
        peak = F.max_pool2d(feat, stripe, stride=stripe)
        embeddings, branch = [], 0
        for size in range(1, self.num_stripes + 1):
            # every run of `size` consecutive stripes at once
            pooled = (F.avg_pool2d(avg, (size, 1), stride=1) + F.max_pool2d(peak, (size, 1), stride=1))
            for start in range(self.num_stripes - size + 1):
                out = self.pyramid_conv_list0[branch](pooled[:, :, start:start + 1, :])
                embeddings.append(out.reshape([n, -1]))
                branch += 1
        return paddle.concat(embeddings, axis=1)
