"""``infer_cfg.yml`` of an exported ReID model: what a deployment needs besides the network itself, the
crop preprocessing and every key of the tracker, so the exported runner tracks as the tools do."""

import inspect
import os

import yaml

from ..utils.config import ConfigError

__all__ = ['write_reid_infer_cfg', 'read_reid_infer_cfg', 'INFER_CFG']

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
    path = os.path.join(model_dir, INFER_CFG)
    with open(path, 'w') as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path


def read_reid_infer_cfg(model_dir):
    """The ``ReID`` and ``tracker`` sections of ``model_dir/infer_cfg.yml``, checked."""
    path = os.path.join(model_dir, INFER_CFG)
    if not os.path.isfile(path):
        raise ConfigError("{}: no {} (export the ReID model with tools/export_model.py)".format(model_dir, INFER_CFG))
    with open(path) as f:
        cfg = yaml.safe_load(f) or {}
    for section, keys in (('ReID', ('input_size', 'mean', 'std')), ('tracker', ('type',))):
        if not isinstance(cfg.get(section), dict):
            raise ConfigError("{}: no '{}' section".format(path, section))
        missing = [k for k in keys if k not in cfg[section]]
        if missing:
            raise ConfigError("{}: '{}' lacks {}".format(path, section, ', '.join(missing)))
    return cfg['ReID'], cfg['tracker']
