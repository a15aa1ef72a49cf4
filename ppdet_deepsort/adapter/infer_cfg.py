"""``infer_cfg.yml`` of exported models: what a deployment needs besides the network. For a ReID model the
crop preprocessing and every key of the tracker; for a detector its preprocessing (ppdet's transform
operators), whether its boxes are scaled to the original image, and the detection filter. With them the
exported runner tracks as the tools do."""

import os

import yaml
from ppdet.data.source.category import get_categories
from ppdet.engine.export_utils import TRT_MIN_SUBGRAPH

from ..errors import ConfigError

__all__ = ['write_reid_infer_cfg', 'read_reid_infer_cfg', 'write_detector_infer_cfg', 'read_detector_infer_cfg',
           'INFER_CFG']

INFER_CFG = 'infer_cfg.yml'


def write_reid_infer_cfg(model_dir, reid_name, tracker_type, tracker_args, mean, std):
    """Write ``model_dir/infer_cfg.yml`` for a ReID model exported with its input named ``crops``, with the
    tracker's section of the config (``tracker_type``: its name, ``tracker_args``: every key)."""
    cfg = {
        'mode': 'paddle',
        'arch': 'DeepSORT',
        'metric': 'MOT',
        'min_subgraph_size': 3,
        'draw_threshold': 0.5,
        'label_list': ['pedestrian'],
        'ReID': {'name': reid_name, 'input_name': 'crops', 'input_size': list(tracker_args['input_size']),
                 'color': 'RGB', 'scale': 1. / 255, 'mean': list(mean), 'std': list(std)},
        'tracker': dict({'type': tracker_type}, **tracker_args),
    }
    return _write(model_dir, cfg)


def read_reid_infer_cfg(model_dir):
    """The ``ReID`` and ``tracker`` sections of ``model_dir/infer_cfg.yml``, checked."""
    path, cfg = _read(model_dir, 'the ReID model')
    for section, keys in (('ReID', ('input_size', 'mean', 'std')), ('tracker', ('type',))):
        if not isinstance(cfg.get(section), dict):
            raise ConfigError("{}: no '{}' section".format(path, section))
        missing = [k for k in keys if k not in cfg[section]]
        if missing:
            raise ConfigError("{}: '{}' lacks {}".format(path, section, ', '.join(missing)))
    return cfg['ReID'], cfg['tracker']


def write_detector_infer_cfg(model_dir, architecture, metric, sample_transforms, scaled, score_threshold, class_ids):
    """Write ``model_dir/infer_cfg.yml`` for an exported ppdet detector: the keys ppdet's own exporter writes
    (so PaddleDetection's deploy tools can read it) and the plugin's (``scaled`` and the detection filter)."""
    arch = next((name for name in TRT_MIN_SUBGRAPH if name in architecture), architecture)
    cfg = {
        'mode': 'paddle',
        'draw_threshold': 0.5,
        'metric': metric,
        'use_dynamic_shape': False,
        'arch': arch,
        'min_subgraph_size': TRT_MIN_SUBGRAPH.get(arch, 3),
        'Preprocess': [dict(type=name, **(args or {})) for item in sample_transforms for name, args in item.items()
                       if name != 'Decode'],
        'label_list': [str(name) for name in get_categories(metric, None, 'detection_arch')[1].values()],
        'scaled': bool(scaled),
        'det_score_threshold': float(score_threshold),
        'det_class_ids': list(class_ids),
    }
    return _write(model_dir, cfg)


def read_detector_infer_cfg(model_dir):
    """(sample_transforms as in a reader config, scaled, score threshold, class ids) of an exported detector."""
    path, cfg = _read(model_dir, 'the detector')
    missing = [k for k in ('Preprocess', 'scaled', 'det_score_threshold', 'det_class_ids') if k not in cfg]
    if missing:
        raise ConfigError("{}: lacks {} (is it a detector's, exported by tools/export_model.py?)".format(
            path, ', '.join(missing)))
    transforms = [{step['type']: {k: v for k, v in step.items() if k != 'type'}} for step in cfg['Preprocess']]
    return transforms, cfg['scaled'], cfg['det_score_threshold'], cfg['det_class_ids']


def _write(model_dir, cfg):
    path = os.path.join(model_dir, INFER_CFG)
    with open(path, 'w') as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path


def _read(model_dir, what):
    path = os.path.join(model_dir, INFER_CFG)
    if not os.path.isfile(path):
        raise ConfigError("{}: no {} (export {} with tools/export_model.py)".format(model_dir, INFER_CFG, what))
    with open(path) as f:
        return path, yaml.safe_load(f) or {}
