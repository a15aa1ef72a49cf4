"""What an exported model's folder holds besides the network: its ``infer_cfg.yml``, one typed object per kind of
model, written by the exporter and read by the exported-model runner.

For a ReID model, the crop preprocessing and every key of the tracker; for a detector, its preprocessing (ppdet's
transform operators, as a reader's ``sample_transforms``), whether its boxes are scaled to the original image, and
the detection filter, beside the keys PaddleDetection's own deploy tools read. With them the exported runner tracks
as the tools do.
"""

import dataclasses
import os
from typing import List

import yaml

from ..errors import ConfigError

__all__ = ['ReIDBundle', 'DetectorBundle', 'INFER_CFG']

INFER_CFG = 'infer_cfg.yml'


@dataclasses.dataclass(frozen=True)
class ReIDBundle:
    """An exported ReID model (input ``crops``) and the tracker to run it with.

    Args:
        name (str): the ReID component (``OSNetEmbedding``, ...).
        input_size (list[int]): crop size [w, h].
        mean, std (list[float]): the crops' normalisation (RGB, after scaling to [0, 1]).
        tracker_type (str): the tracker's section name (``FastDeepSORTTracker``, or ppdet's ``DeepSORTTracker``).
        tracker (dict): every key of the tracker's section.
    """

    name: str
    input_size: List[int]
    mean: List[float]
    std: List[float]
    tracker_type: str
    tracker: dict

    def write(self, model_dir):
        cfg = {
            'mode': 'paddle',
            'arch': 'DeepSORT',
            'metric': 'MOT',
            'min_subgraph_size': 3,
            'draw_threshold': 0.5,
            'label_list': ['pedestrian'],
            'ReID': {'name': self.name, 'input_name': 'crops', 'input_size': list(self.input_size), 'color': 'RGB',
                     'scale': 1. / 255, 'mean': list(self.mean), 'std': list(self.std)},
            'tracker': dict({'type': self.tracker_type}, **self.tracker),
        }
        return _write(model_dir, cfg)

    @classmethod
    def read(cls, model_dir):
        path, cfg = _read(model_dir, 'the ReID model')
        for section, keys in (('ReID', ('input_size', 'mean', 'std')), ('tracker', ('type',))):
            if not isinstance(cfg.get(section), dict):
                raise ConfigError("{}: no '{}' section".format(path, section))
            missing = [k for k in keys if k not in cfg[section]]
            if missing:
                raise ConfigError("{}: '{}' lacks {}".format(path, section, ', '.join(missing)))
        reid, tracker = cfg['ReID'], dict(cfg['tracker'])
        return cls(reid.get('name', os.path.basename(os.path.normpath(model_dir))), reid['input_size'], reid['mean'],
                   reid['std'], tracker.pop('type'), tracker)


@dataclasses.dataclass(frozen=True)
class DetectorBundle:
    """An exported detector (inputs ``image`` and what its post-process reads).

    Args:
        sample_transforms (list[dict]): its preprocessing, as a reader's ``sample_transforms`` (without Decode).
        scaled (bool): whether its boxes are in original-image pixels (False: in the letterboxed input).
        det_score_threshold (float), det_class_ids (list[int]): the detection filter.
        arch, metric, min_subgraph_size, label_list: what PaddleDetection's deploy tools read.
    """

    sample_transforms: list
    scaled: bool
    det_score_threshold: float
    det_class_ids: List[int]
    arch: str = ''
    metric: str = 'COCO'
    min_subgraph_size: int = 3
    label_list: List[str] = dataclasses.field(default_factory=list)

    def write(self, model_dir):
        cfg = {
            'mode': 'paddle',
            'draw_threshold': 0.5,
            'metric': self.metric,
            'use_dynamic_shape': False,
            'arch': self.arch,
            'min_subgraph_size': self.min_subgraph_size,
            'Preprocess': [dict(type=name, **(args or {})) for item in self.sample_transforms
                           for name, args in item.items() if name != 'Decode'],
            'label_list': list(self.label_list),
            'scaled': bool(self.scaled),
            'det_score_threshold': float(self.det_score_threshold),
            'det_class_ids': list(self.det_class_ids),
        }
        return _write(model_dir, cfg)

    @classmethod
    def read(cls, model_dir):
        path, cfg = _read(model_dir, 'the detector')
        missing = [k for k in ('Preprocess', 'scaled', 'det_score_threshold', 'det_class_ids') if k not in cfg]
        if missing:
            raise ConfigError("{}: lacks {} (is it a detector's, exported by tools/export_model.py?)".format(
                path, ', '.join(missing)))
        transforms = [{step['type']: {k: v for k, v in step.items() if k != 'type'}} for step in cfg['Preprocess']]
        return cls(transforms, cfg['scaled'], cfg['det_score_threshold'], cfg['det_class_ids'], cfg.get('arch', ''),
                   cfg.get('metric', 'COCO'), cfg.get('min_subgraph_size', 3), cfg.get('label_list', []))


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
