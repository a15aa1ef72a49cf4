"""``infer_cfg.yml`` of exported models: what a deployment needs besides the network. For a ReID model the
crop preprocessing and every key of the tracker; for a detector its preprocessing (ppdet's transform
operators), whether its boxes are scaled to the original image, and the detection filter. With them the
exported runner tracks as the tools do."""

import inspect
import os

import yaml

from ..utils.config import ConfigError

__all__ = ['write_reid_infer_cfg', 'read_reid_infer_cfg', 'write_detector_infer_cfg', 'read_detector_infer_cfg',
           'INFER_CFG']

INFER_CFG = 'infer_cfg.yml'


def write_reid_infer_cfg(model_dir, reid_name, tracker, mean, std):
    """Write ``model_dir/infer_cfg.yml`` for a ReID model exported with its input named ``crops``."""
    params = [p for p in inspect.signature(type(tracker).__init__).parameters if p != 'self']
    cfg = {
        'mode': 'paddle',
        'arch': 'DeepSORT',
        'metric': 'MOT',
        'min_subgraph_size': 3,
        'draw_threshold': 0.5,
        'label_list': ['pedestrian'],
        'ReID': {'name': reid_name, 'input_name': 'crops', 'input_size': list(tracker.input_size),
                 'color': 'RGB', 'scale': 1. / 255, 'mean': list(mean), 'std': list(std)},
        'tracker': dict({'type': type(tracker).__name__}, **{p: getattr(tracker, p) for p in params}),
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


def write_detector_infer_cfg(model_dir, architecture, sample_transforms, scaled, score_threshold, class_ids):
    """Write ``model_dir/infer_cfg.yml`` for an exported ppdet detector."""
    cfg = {
        'mode': 'paddle',
        'arch': architecture,
        'metric': 'MOT',
        'Preprocess': [dict(type=name, **(args or {})) for item in sample_transforms for name, args in item.items()
                       if name != 'Decode'],
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
