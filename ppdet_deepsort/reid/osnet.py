"""OSNet (Zhou et al., ICCV 2019), torchreid's architecture in paddle, registered in ppdet as ``OSNetEmbedding``
(:mod:`ppdet_deepsort.adapter.models`).

Layer names follow torchreid's module names (``conv2.0.conv2a.conv1``, ``fc.0``, ...) so that a torchreid
checkpoint converts by renaming (see :mod:`ppdet_deepsort.reid.convert`). Inference only: the identity
classifier torchreid trains with is not part of the model.
"""

from typing import Literal

import paddle.nn as nn
import paddle.nn.functional as F

from ..checks import check_types

__all__ = ['OSNetEmbedding']

# torchreid's widths: channels of conv1 and of the three OSBlock stages
_CHANNELS = {
    'osnet_x1_0': [64, 256, 384, 512],
    'osnet_x0_75': [48, 192, 288, 384],
    'osnet_x0_5': [32, 128, 192, 256],
    'osnet_x0_25': [16, 64, 96, 128],
}


class _ConvBN(nn.Layer):
    """conv + bn (+ relu): torchreid's ConvLayer, Conv1x1, Conv1x1Linear."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0, relu=True):
        super().__init__()
        self.conv = nn.Conv2D(cin, cout, kernel, stride=stride, padding=padding, bias_attr=False)
        self.bn = nn.BatchNorm2D(cout)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


class _LightConv3x3(nn.Layer):
    """1x1 (linear) + depth-wise 3x3 + bn + relu."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2D(cin, cout, 1, bias_attr=False)
        self.conv2 = nn.Conv2D(cout, cout, 3, padding=1, groups=cout, bias_attr=False)
        self.bn = nn.BatchNorm2D(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv2(self.conv1(x))))


class _ChannelGate(nn.Layer):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.fc1 = nn.Conv2D(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2D(channels // reduction, channels, 1)

    def forward(self, x):
        gate = F.adaptive_avg_pool2d(x, 1)
        return x * F.sigmoid(self.fc2(F.relu(self.fc1(gate))))


class _OSBlock(nn.Layer):
    """Omni-scale block: four streams of 1-4 light 3x3 convs, fused by one shared channel gate."""

    def __init__(self, cin, cout, bottleneck_reduction=4):
        super().__init__()
        mid = cout // bottleneck_reduction
        self.conv1 = _ConvBN(cin, mid, 1)
        self.conv2a = _LightConv3x3(mid, mid)
        self.conv2b = nn.Sequential(*[_LightConv3x3(mid, mid) for _ in range(2)])
        self.conv2c = nn.Sequential(*[_LightConv3x3(mid, mid) for _ in range(3)])
        self.conv2d = nn.Sequential(*[_LightConv3x3(mid, mid) for _ in range(4)])
        self.gate = _ChannelGate(mid)
        self.conv3 = _ConvBN(mid, cout, 1, relu=False)
        self.downsample = _ConvBN(cin, cout, 1, relu=False) if cin != cout else None

    def forward(self, x):
        # Same order of operations as torchreid: the ONNX converter pairs convolutions by execution order.
        x1 = self.conv1(x)
        x2a, x2b, x2c, x2d = self.conv2a(x1), self.conv2b(x1), self.conv2c(x1), self.conv2d(x1)
        x3 = self.conv3(self.gate(x2a) + self.gate(x2b) + self.gate(x2c) + self.gate(x2d))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(x3 + identity)


def _stage(cin, cout, reduce_spatial_size):
    layers = [_OSBlock(cin, cout), _OSBlock(cout, cout)]
    if reduce_spatial_size:
        layers.append(nn.Sequential(_ConvBN(cout, cout, 1), nn.AvgPool2D(2, stride=2)))
    return nn.Sequential(*layers)


class OSNetEmbedding(nn.Layer):
    """OSNet person ReID embedding (torchreid ``osnet_*``). YAML section ``OSNetEmbedding``.

    Input: N x 3 x 256 x 128 RGB crops scaled to [0, 1] and normalized with ImageNet mean/std (set the
    tracker's ``input_size: [128, 256]``). Output: N x ``feature_dim`` embeddings.

    Args:
        model_name (str): width, one of 'osnet_x1_0', 'osnet_x0_75', 'osnet_x0_5', 'osnet_x0_25'.
            Default 'osnet_x0_25'.
        feature_dim (int): size of the embedding (the fc layer after pooling). Default 512.
    """

    def __init__(self,
                 model_name: Literal['osnet_x1_0', 'osnet_x0_75', 'osnet_x0_5', 'osnet_x0_25'] = 'osnet_x0_25',
                 feature_dim: int = 512):
        super().__init__()
        check_types(type(self).__name__, OSNetEmbedding.__init__, locals())
        c = _CHANNELS[model_name]
        self.feature_dim = feature_dim
        self.conv1 = _ConvBN(3, c[0], 7, stride=2, padding=3)
        self.maxpool = nn.MaxPool2D(3, stride=2, padding=1)
        self.conv2 = _stage(c[0], c[1], True)
        self.conv3 = _stage(c[1], c[2], True)
        self.conv4 = _stage(c[2], c[3], False)
        self.conv5 = _ConvBN(c[3], c[3], 1)
        self.fc = nn.Sequential(nn.Linear(c[3], feature_dim), nn.BatchNorm1D(feature_dim), nn.ReLU())

    def forward(self, x):
        x = self.conv5(self.conv4(self.conv3(self.conv2(self.maxpool(self.conv1(x))))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
