"""The run spec (:class:`ppdet_deepsort.engine.spec.RunSpec`) of a ppdet config or of exported models: the one step
that reads them for a run. The tools call it once with their flags and hand the spec down
(:func:`ppdet_deepsort.engine.models.runner_for` with :data:`REGISTRY`).

A config names its parts as PaddleDetection's DeepSORT configs do::

    architecture: DeepSORT
    DeepSORT: {detector: None, reid: <ReID component or None>, tracker: FastDeepSORTTracker}
    reid_weights: <path or URL>          # when reid is set
    EvalMOTDataset / TestMOTDataset: !MOTDetResultsDataset {...}
    interpolate_max_gap, smooth_sigma    # offline post-processing, 0 (off) if absent

With a detector (``DeepSORT.detector: YOLOv3`` and its blocks, ``det_weights``) frames are read by
``EvalMOTReader`` / ``TestMOTReader``'s transforms.
"""

import dataclasses
import logging
import os

import paddle

from ..engine import manifest
from ..engine.manifest import digest_file
from ..export.bundle import DetectorBundle, ReIDBundle
from ..engine.spec import (Counting, DatasetSpec, DetectionFilter, ModelSpec, PostProcess, RunSpec, Schedule,
                           Sources)
from ..errors import ConfigError
from ..inference import RuntimeOptions
from ..inference.backends import model_files
from ..inference.detector import check_scaled_flag, input_shape, outputs_scaled
from ..inference.first_call import cpu_supports_bf16
from ..tracker import FastDeepSORTTracker
from ..tracker.options import TrackerOptions
from .builders import build_transforms, resolve_weights
from .config import build, checked_keys, top_level
from .datasets import MOTDetResultsDataset

logger = logging.getLogger(__name__)

__all__ = ['run_spec', 'exported_run_spec', 'deploy_runtime', 'REGISTRY', 'Registry']


class Registry:
    """What a run builds through ppdet: registered components by name (from the loaded config) and the detector's
    preprocessing (ppdet's transform operators)."""

    @staticmethod
    def layer(name, section='component'):
        return build(name, section)

    @staticmethod
    def transforms(sample_transforms):
        return build_transforms(sample_transforms)


REGISTRY = Registry()


def run_spec(cfg, mode='eval', det_results_dir='', sources=Sources(), use_gpu=None, scaled_flag=None,
             counting_flags=None, save_format=None):
    """The :class:`RunSpec` of a loaded DeepSORT config (``cfg``, as ppdet's ``load_config`` and the ``-o`` overrides
    left it) and the tool's flags: ``det_results_dir`` (``--det_results_dir``, '' keeps the config's), ``sources``
    (``--video_file`` ...), ``use_gpu`` (None keeps the config's), ``scaled_flag`` (``--scaled``, checked
    against the detector's post-process), ``counting_flags`` (PP-Tracking's counting flags given, over the config's
    keys of the same names) and ``save_format`` (``--save_format``, None keeps the config's). Every part is checked
    here, before any model loads."""
    if cfg.get('architecture') != 'DeepSORT' or not isinstance(cfg.get('DeepSORT'), dict):
        raise ConfigError("architecture: expected DeepSORT with a DeepSORT: {{detector, reid, tracker}} section, "
                          "got {!r}".format(cfg.get('architecture')))
    parts = cfg['DeepSORT']
    key = 'EvalMOTDataset' if mode == 'eval' else 'TestMOTDataset'
    dataset = cfg.get(key)
    if not isinstance(dataset, MOTDetResultsDataset):
        raise ConfigError("{}: expected !MOTDetResultsDataset, got {}".format(key, type(dataset).__name__))
    runtime = RuntimeOptions.from_config(cfg)
    if use_gpu is not None:
        runtime = dataclasses.replace(runtime, use_gpu=use_gpu)
    tracker_name = parts.get('tracker')
    tracker = build(tracker_name, 'DeepSORT.tracker')  # fail on a bad tracker block before any work
    if not isinstance(tracker, FastDeepSORTTracker):
        raise ConfigError("DeepSORT.tracker: {} is not a plugin tracker; use FastDeepSORTTracker (ppdet's own "
                          "DeepSORTTracker runs in ppdet's engine)".format(tracker_name))
    keys = dict(dataset.config(), det_results_dir=det_results_dir or dataset.det_results_dir)
    detector = None
    if parts.get('detector') not in (None, 'None'):
        if keys['det_results_dir']:
            raise ConfigError("DeepSORT.detector is {}: saved detections (--det_results_dir, {}.det_results_dir) "
                              "are for configs with detector: None".format(parts['detector'], key))
        detector = _detector(cfg, parts['detector'], mode, scaled_flag)
    reid = None
    if parts.get('reid') not in (None, 'None'):
        reid = _model(parts['reid'], checked_keys(parts['reid'], 'DeepSORT.reid'), cfg.get('reid_weights'),
                      'reid_weights')
    post = top_level(cfg, PostProcess)
    if save_format is not None:
        post = dataclasses.replace(post, save_format=list(save_format))
    return RunSpec(mode, tracker.options, reid, detector, runtime, DatasetSpec(keys, sources), post,
                   top_level(cfg, DetectionFilter) if detector is not None else DetectionFilter(),
                   top_level(cfg, Schedule), dataclasses.replace(top_level(cfg, Counting), **(counting_flags or {})))


def _model(name, keys, weights, weights_key):
    path = resolve_weights(weights, weights_key)
    return ModelSpec(name, keys, weights=path, fingerprint=digest_file(path))


def _detector(cfg, name, mode, scaled_flag):
    reader_key = 'EvalMOTReader' if mode == 'eval' else 'TestMOTReader'
    reader = cfg.get(reader_key)
    if not isinstance(reader, dict) or 'sample_transforms' not in reader:
        raise ConfigError("{}: a detector needs {}.sample_transforms (e.g. LetterBoxResize, NormalizeImage, "
                          "Permute)".format(reader_key, reader_key))
    build_transforms(reader['sample_transforms'])  # fail on a bad operator before any work
    scaled = outputs_scaled(cfg[name].get('post_process') if isinstance(cfg.get(name), dict) else None)
    check_scaled_flag(scaled_flag, scaled, name)
    keys = {'component': checked_keys(name, 'DeepSORT.detector'), 'sample_transforms': reader['sample_transforms'],
            'image_shape': input_shape(reader), 'scaled': scaled}
    return _model(name, keys, cfg.get('det_weights'), 'det_weights')


def exported_run_spec(reid_model_dir, model_dir, det_results_dir, sources, runtime, threshold=None,
                      scaled_flag=None, reconnect_tries=3, det_interval=1, counting=Counting(), save_format=()):
    """The :class:`RunSpec` of the exported-model runner (PaddleDetection's deploy/python/mot_sde_infer.py flags):
    the ReID model and every tracker key from ``reid_model_dir/infer_cfg.yml``, the detector from
    ``model_dir/infer_cfg.yml`` (or saved detections in ``det_results_dir``), how they run (``runtime``), the
    detector's score ``threshold`` (None keeps the export's), detections on every ``det_interval``-th frame, the
    ``counting`` (:class:`Counting`) PP-Tracking's flags ask for, and the tables of ``save_format``. As PP-Tracking
    does, the MOTChallenge file holds the classes (``metric: MCMOT``) when the detector keeps more than one."""
    bundle = ReIDBundle.read(reid_model_dir)
    tracker_keys = dict(bundle.tracker)
    if bundle.tracker_type == 'DeepSORTTracker':  # exported from one of ppdet's own configs: its tracker, reproduced
        tracker_keys['ppdet_compat'] = True
    elif bundle.tracker_type != FastDeepSORTTracker.__name__:
        raise ConfigError('{}/infer_cfg.yml: tracker type {} is not supported (FastDeepSORTTracker or ppdet\'s '
                          'DeepSORTTracker)'.format(reid_model_dir, bundle.tracker_type))
    tracker = TrackerOptions(**tracker_keys)  # a bad tracker block fails here, naming the key
    reid = _export(reid_model_dir, {'input_size': bundle.input_size, 'mean': bundle.mean, 'std': bundle.std})
    detector, detection_filter, metric = None, DetectionFilter(), 'MOT'
    if model_dir:
        det = DetectorBundle.read(model_dir)
        check_scaled_flag(scaled_flag, det.scaled, model_dir)
        detection_filter = DetectionFilter(float(det.det_score_threshold if threshold is None else threshold),
                                           det.det_class_ids)
        detector = _export(model_dir, {'sample_transforms': det.sample_transforms, 'scaled': det.scaled})
        metric = 'MOT' if len(det.det_class_ids) == 1 else 'MCMOT'
    dataset = DatasetSpec({'det_results_dir': det_results_dir, 'reconnect_tries': reconnect_tries}, sources)
    return RunSpec('test', tracker, reid, detector, runtime, dataset,
                   PostProcess(save_format=list(save_format), metric=metric), detection_filter=detection_filter,
                   schedule=Schedule(det_interval), counting=counting)


def _export(folder, keys):
    return ModelSpec(os.path.basename(os.path.normpath(folder)), keys, export_dir=folder,
                     fingerprint=manifest.run_digest([digest_file(path) for path in model_files(folder)]))


def deploy_runtime(device='CPU', backend='auto', run_mode='paddle', reid_precision='fp32', bf16=False, cpu_threads=0):
    """The :class:`RuntimeOptions` that PaddleDetection's deploy flags ask for (``--device``, ``--backend``,
    ``--run_mode``, ``--reid_precision``, ``--enable_mkldnn_bfloat16``, ``--cpu_threads``)."""
    device = device.upper()
    if device not in ('CPU', 'GPU'):
        raise ConfigError('--device must be CPU or GPU, got {}'.format(device))
    if device == 'GPU' and not paddle.is_compiled_with_cuda():
        logger.warning('--device=GPU but this paddlepaddle build has no CUDA support (install paddlepaddle-gpu for '
                       'that); running on CPU')
        device = 'CPU'
    if bf16 and not cpu_supports_bf16():
        logger.warning('--enable_mkldnn_bfloat16: this CPU has no native bfloat16; using fp32')
        bf16 = False
    backend = {'paddle': 'inference', 'onnxruntime': 'onnxruntime',
               'auto': 'inference' if bf16 or device == 'GPU' else 'auto'}[backend]
    return RuntimeOptions(
        use_gpu=device == 'GPU', reid_backend=backend, reid_precision='bf16' if bf16 else reid_precision,
        det_backend='tensorrt' if run_mode != 'paddle' else backend,
        det_precision='fp16' if run_mode == 'trt_fp16' else 'auto' if bf16 else 'fp32', cpu_threads=cpu_threads)
