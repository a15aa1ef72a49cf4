"""The models a ppdet config asks for: built from ppdet's registry, their weights resolved (paths or URLs, as ppdet
fetches them) and loaded strictly, the detector's preprocessing made of ppdet's transform operators."""

import logging
import os

import ppdet.data.transform as transform
from ppdet.utils.checkpoint import is_url
from ppdet.utils.download import get_weights_path

from ..checks import require
from ..errors import ConfigError, WeightsError
from ..inference import RuntimeOptions
from ..inference.detector import Detector, check_scaled_flag, detector_model, input_shape, outputs_scaled
from ..inference.embedder import ReIDEmbedder, reid_model
from ..reid.weights import load_state_dict
from .config import build

logger = logging.getLogger(__name__)

__all__ = ['resolve_weights', 'build_transforms', 'load_detector', 'detector_boxes', 'detector_from_config',
           'load_reid', 'embedder_from_config']


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


def detection_filter(cfg):
    """(score threshold, class ids) from a config's ``det_score_threshold`` and ``det_class_ids``."""
    threshold = cfg.get('det_score_threshold', 0.3)
    class_ids = cfg.get('det_class_ids', [0])
    require('config', 'det_score_threshold', isinstance(threshold, (int, float)) and not isinstance(threshold, bool),
            'a number', threshold)
    require('config', 'det_class_ids', isinstance(class_ids, list) and all(
        isinstance(c, int) and not isinstance(c, bool) for c in class_ids), 'a list of class ids', class_ids)
    return float(threshold), class_ids


def detector_boxes(cfg, name, scaled_flag=None):
    """What a config says about the boxes of its detector ``name``: (scaled, score threshold, class ids).
    ``scaled_flag`` is the user's --scaled, checked against the detector's post-process."""
    scaled = outputs_scaled(cfg[name].get('post_process') if isinstance(cfg.get(name), dict) else None)
    check_scaled_flag(scaled_flag, scaled, name)
    return (scaled, ) + detection_filter(cfg)


def load_detector(cfg, section, weights_key, scaled_flag=None):
    """The registered ppdet detector named by ``cfg[section]`` with the weights ``cfg[weights_key]``, and what
    its config says about its boxes: (layer, scaled, score threshold, class ids), see :func:`detector_boxes`."""
    owner, _, key = section.rpartition('.')
    name = (cfg[owner] if owner else cfg)[key]
    layer = build(name, section)
    load_state_dict(layer, resolve_weights(cfg.get(weights_key), weights_key), weights_key)
    return (layer, ) + detector_boxes(cfg, name, scaled_flag)


def detector_from_config(cfg, name, mode='eval', scaled_flag=None):
    """The Detector a DeepSORT config asks for: the registered ppdet detector ``name`` with ``det_weights``,
    fed by the reader's transforms (``EvalMOTReader`` in 'eval' mode, ``TestMOTReader`` otherwise), run as its
    ``det_backend`` and ``det_precision`` say (see :class:`RuntimeOptions`)."""
    reader_key = 'EvalMOTReader' if mode == 'eval' else 'TestMOTReader'
    reader = cfg.get(reader_key)
    if not isinstance(reader, dict) or 'sample_transforms' not in reader:
        raise ConfigError("{}: a detector needs {}.sample_transforms (e.g. LetterBoxResize, NormalizeImage, "
                          "Permute)".format(reader_key, reader_key))
    options = RuntimeOptions.from_config(cfg)
    layer, scaled, threshold, class_ids = load_detector(cfg, 'DeepSORT.detector', 'det_weights', scaled_flag)
    logger.info("Detector {} ({} boxes), score >= {}, classes {}".format(
        name, 'rescaled' if scaled else 'letterboxed', threshold, class_ids or 'all'))
    model = detector_model(layer, input_shape(reader), options, threshold)
    return Detector(model, build_transforms(reader['sample_transforms']), scaled, threshold, class_ids)
def load_reid(cfg):
    """The ReID layer ``DeepSORT.reid`` of a config, with ``reid_weights`` loaded strictly."""
    layer = build(cfg['DeepSORT']['reid'], 'DeepSORT.reid')
    load_state_dict(layer, resolve_weights(cfg.get('reid_weights')), 'reid_weights')
    return layer


def embedder_from_config(cfg, input_size):
    """The ReIDEmbedder a DeepSORT config asks for (``DeepSORT.reid``, ``reid_weights`` and its runtime keys, see
    :class:`RuntimeOptions`), or None when it has no ReID model."""
    name = cfg['DeepSORT'].get('reid')
    if name in (None, 'None'):
        logger.info("No ReID model configured (DeepSORT.reid: None): tracking on motion alone (Kalman filter, "
                    "gated cascade and IoU), appearance matching off")
        return None
    return ReIDEmbedder(reid_model(load_reid(cfg), input_size, RuntimeOptions.from_config(cfg)), input_size)
