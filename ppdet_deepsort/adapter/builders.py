"""The models a ppdet config asks for: built from ppdet's registry, their weights resolved (paths or URLs, as ppdet
fetches them) and loaded strictly, the detector's preprocessing made of ppdet's transform operators."""

import os

import ppdet.data.transform as transform
from ppdet.utils.checkpoint import is_url
from ppdet.utils.download import get_weights_path

from ..engine.spec import DetectionFilter
from ..errors import ConfigError, WeightsError
from ..inference.detector import check_scaled_flag, outputs_scaled
from ..reid.weights import load_state_dict
from .config import build, top_level

__all__ = ['resolve_weights', 'build_transforms', 'load_detector', 'detector_boxes', 'load_reid']


def resolve_weights(weights, what='reid_weights'):
    """Local path of ``weights``: a path (with or without .pdparams) or a URL, fetched like ppdet does."""
    if weights in (None, '', 'None'):
        raise WeightsError("{} is not set: give -o {}=PATH/TO/model.pdparams".format(what, what))
    if is_url(weights):
        try:
            return get_weights_path(weights)
        except Exception as e:  # ppdet retries and then raises various errors when offline
            raise WeightsError("cannot download {} {} ({}: {}); without network access set {} to a local "
                               ".pdparams file".format(what, weights, type(e).__name__, e, what)) from None
    path = weights if weights.endswith('.pdparams') else weights + '.pdparams'
    if not os.path.isfile(path):
        raise WeightsError("{} file not found: {}".format(what, path))
    return path


def build_transforms(sample_transforms):
    """ppdet transform operators from a reader's ``sample_transforms`` list, without ``Decode`` (frames come
    decoded)."""
    ops = []
    for item in sample_transforms or []:
        (name, args), = item.items()
        if name == 'Decode':
            continue
        if not hasattr(transform, name):
            raise ConfigError("sample_transforms: '{}' is not a ppdet transform operator".format(name))
        ops.append(getattr(transform, name)(**(args or {})))
    if not any(type(op).__name__ == 'Permute' for op in ops):
        raise ConfigError("sample_transforms: no Permute; the detector needs CHW input")
    return ops


def detector_boxes(cfg, name, scaled_flag=None):
    """What a config says about the boxes of its detector ``name``: (scaled, score threshold, class ids).
    ``scaled_flag`` is the user's --scaled, checked against the detector's post-process."""
    scaled = outputs_scaled(cfg[name].get('post_process') if isinstance(cfg.get(name), dict) else None)
    check_scaled_flag(scaled_flag, scaled, name)
    boxes = top_level(cfg, DetectionFilter)
    return scaled, boxes.det_score_threshold, boxes.det_class_ids


def load_detector(cfg, section, weights_key, scaled_flag=None):
    """The registered ppdet detector named by ``cfg[section]`` with the weights ``cfg[weights_key]``, and what
    its config says about its boxes: (layer, scaled, score threshold, class ids), see :func:`detector_boxes`."""
    owner, _, key = section.rpartition('.')
    name = (cfg[owner] if owner else cfg)[key]
    layer = build(name, section)
    load_state_dict(layer, resolve_weights(cfg.get(weights_key), weights_key), weights_key)
    return (layer, ) + detector_boxes(cfg, name, scaled_flag)


def load_reid(cfg):
    """The ReID layer ``DeepSORT.reid`` of a config, with ``reid_weights`` loaded strictly."""
    layer = build(cfg['DeepSORT']['reid'], 'DeepSORT.reid')
    load_state_dict(layer, resolve_weights(cfg.get('reid_weights')), 'reid_weights')
    return layer
