"""What the plugin changes in ppdet's own engine, so that PaddleDetection's unmodified tools (tools/eval_mot.py,
infer_mot.py, export_model.py, train.py, eval.py) build and run its components.

ppdet offers no extension point for any of these. Each change wraps one method or function of
``ppdet.engine``, acts only where a plugin component is in use, and leaves ppdet's own components exactly as
they were (ppdet's broken exporter aside, see below). Each is fenced: it names the ppdet release and the signature
of the target it was written for (:data:`CHANGES`), and where the ppdet that runs differs (another release, or a
PaddleDetection checkout's own ``ppdet/`` first on ``sys.path``), that change is skipped with one warning naming the
ppdet (version and path) and the method: ppdet's tools then run as ppdet alone would, and the plugin's own tools,
which do not go through ppdet's engine, keep working.

* ``Tracker.get_infer_images`` asserts that a sequence folder holds image files. For a
  :class:`MOTDetResultsDataset` sequence whose frames are a video or absent it returns the sequence folder,
  which the dataset opens.
* ``Tracker._eval_seq_sde`` reads saved detections with ppdet's ``load_det_results``, which asserts 7 columns.
  For a :class:`MOTDetResultsDataset` the dataset reads them instead: the seed's 6 columns and every other
  layout, the plugin's checks and messages, and the dataset's ``det_results_dir`` when ``--det_results_dir``
  is not given. The engine also keeps one tracker for all sequences, so tracks of one sequence would go on in
  the next: a :class:`FastDeepSORTTracker` starts afresh on each (with ``ppdet_compat`` it reproduces ppdet,
  engine included). It also runs every ReID model in dygraph, on crops cut from a transposed frame (ppdet's
  ``get_crops``); the plugin's ReID models (OSNetEmbedding, PCBPyramidEmbedding) run as in the plugin's tools
  instead, whatever the dataset: as ``reid_backend`` and ``reid_precision`` say (exported, and on the CPU run by
  ONNX Runtime or paddle.inference by default), on the plugin's upright crops (ppdet's with ``ppdet_compat``). The
  engine gives the tracker no frames, so a tracker that follows the camera (``camera_motion``) is refused by name.
  The engine hands the tracker every box its detector returns, of every class and down to the NMS's score floor:
  a :class:`FastDeepSORTTracker` gets those the plugin's tools keep (``det_score_threshold``, ``det_class_ids``),
  and only those are cropped for the ReID model. The engine files a DeepSORT tracker's tracks under class 0,
  whatever their class; with ``metric: MCMOT`` (where ppdet writes each class's tracks with its class id) a
  :class:`FastDeepSORTTracker`'s are filed under their own.
* ``DeepSORT.from_config`` and ``Tracker.load_weights_sde`` / ``Trainer.load_weights_sde`` build and load a
  ReID model even for ``reid: None``, which the engine otherwise supports (motion-only tracking, as it supports
  ``detector: None``): with ``reid: None`` there is none.
* ``Trainer.export`` fails on paddle 3 for every model ("Can't call main_program when full_graph=False"), and for
  a DeepSORT config would trace the ReID model at a fixed 192x64 and describe ppdet's ``DeepSORTTracker``
  section whatever tracker the config names. The plugin's exporter (:mod:`.exporter`) does it instead, for
  every config, ppdet's own DeepSORT ones included, into the same folder, after ppdet's tools loaded the
  weights their way.
* ``LCPAN.__init__`` (PP-PicoDet's neck) appends a level to its ``spatial_scales`` default list itself when
  ``num_features`` is 4, so each PicoDet built in a process had one level more than the one before (and the first
  one's weights no longer loaded into the next): each LCPAN now gets its own copy of the list.
* ``Trainer._init_metrics`` knows a fixed list of metrics; ``metric: ReID`` (a ReIDClassifier's configs) gets
  :class:`RetrievalMetric`, rank-1 / rank-5 / mAP on the EvalDataset, saved as JSON beside the checkpoints
  (``eval_results.json``, one entry per evaluation) or in ``--output_eval`` (``reid_metrics.json``).
"""

import collections
import contextlib
import contextvars
import functools
import inspect
import logging
import os

import numpy as np
import paddle
import paddle.nn as nn
import ppdet
import ppdet.engine.tracker as ppdet_tracker
from ppdet.core.workspace import create
from ppdet.engine import Tracker, Trainer
from ppdet.modeling.architectures import DeepSORT
from ppdet.modeling.necks.lc_pan import LCPAN
from ppdet.utils.checkpoint import load_weight

from ..data.sequence import holds_frames
from ..engine.spec import DetectionFilter
from ..errors import ConfigError
from ..inference import RuntimeOptions
from ..inference.embedder import reid_model
from ..reid import OSNetEmbedding
from ..reid.crops import crop_batch
from ..tracker import FastDeepSORTTracker
from .config import top_level
from .datasets import MOTDetResultsDataset
from .pcb_pyramid import PCBPyramidEmbedding
from .retrieval import RetrievalMetric

__all__ = ['install']

_dataset_reading_detections = contextvars.ContextVar('dataset_reading_detections', default=None)


logger = logging.getLogger(__name__)

PPDET_VERSION = '2.6.0'  # the release every change below was written for and tested with


def _patch(owner, name, make, signature):
    """Replace ``owner.name`` (a function, method or classmethod) by ``make(original function)``, once, if ppdet is
    the release and the target has the ``signature`` the change was written for; else say why it is skipped."""
    original = vars(owner).get(name)
    function = original.__func__ if isinstance(original, classmethod) else original
    if getattr(function, '_ppdet_deepsort', False):
        return True
    target = '{}.{}'.format(getattr(owner, '__qualname__', owner.__name__), name)
    version = getattr(ppdet, '__version__', 'unknown')
    found = str(inspect.signature(function)) if callable(function) else 'nothing'
    if version != PPDET_VERSION or found != signature:
        logger.warning("ppdet-deepsort: not changing {} of ppdet {} ({}): written for ppdet {} {}{}, found {}; "
                       "ppdet's own tools run it as ppdet does".format(
                           target, version, os.path.dirname(ppdet.__file__), PPDET_VERSION, name, signature, found))
        return False
    patched = functools.wraps(function)(make(function))
    patched._ppdet_deepsort = True
    setattr(owner, name, classmethod(patched) if isinstance(original, classmethod) else patched)
    return True


def _get_infer_images(original):
    def get_infer_images(self, infer_dir):
        if isinstance(self.dataset, MOTDetResultsDataset) and not (os.path.isdir(infer_dir) and
                                                                   holds_frames(infer_dir)):
            return [infer_dir]
        return original(self, infer_dir)
    return get_infer_images


class _ReIDRuntime(nn.Layer):
    """Stands for a plugin ReID layer in ppdet's DeepSORT architecture, running it as :func:`reid_model` does."""

    def __init__(self, run):
        super().__init__()
        self.run = run

    def forward(self, crops):
        return paddle.to_tensor(self.run(crops.numpy()))


def _eval_seq_sde(original):
    def eval_seq_sde(self, dataloader, *args, **kwargs):
        tracker, layer = self.model.tracker, getattr(self.model, 'reid', None)
        compat = not isinstance(tracker, FastDeepSORTTracker) or tracker.ppdet_compat
        if not compat and tracker.needs_frames:
            raise ConfigError("FastDeepSORTTracker.camera_motion: ppdet's engine does not give the tracker the "
                              "frames it follows the camera in (camera_motion: frames); follow it from the detections "
                              "(camera_motion: detections), or track with this plugin's tools/eval_mot.py or "
                              "tools/infer_mot.py")
        with contextlib.ExitStack() as undo:
            if isinstance(layer, (OSNetEmbedding, PCBPyramidEmbedding)):
                if not hasattr(self, '_ppdet_deepsort_reid'):  # once per engine: the export takes seconds
                    self._ppdet_deepsort_reid = _ReIDRuntime(reid_model(layer, tracker.input_size,
                                                                           RuntimeOptions.from_config(self.cfg)))
                self.model.reid = self._ppdet_deepsort_reid
                undo.callback(setattr, self.model, 'reid', layer)
                if not compat:
                    undo.enter_context(_replaced(ppdet_tracker, 'get_crops', _upright_crops))
            if not compat:  # a fresh tracker per sequence, its keys checked against the engine's ReID model, at the
                # sequence's frame rate (which ppdet reads from seqinfo.ini or the video)
                tracker.in_mode(layer is not None).at_frame_rate(_frame_rate(original, self, dataloader, args, kwargs))
                detector = self.model.detector
                if detector is not None:
                    self.model.detector = _FilteredDetector(detector, top_level(self.cfg, DetectionFilter))
                    undo.callback(setattr, self.model, 'detector', detector)
            if isinstance(self.dataset, MOTDetResultsDataset):
                token = _dataset_reading_detections.set(self.dataset)
                undo.callback(_dataset_reading_detections.reset, token)
            results, *rest = original(self, dataloader, *args, **kwargs)
        if not compat and str(self.cfg.get('metric', '')).upper() == 'MCMOT':
            results = _by_class(results[0], tracker, self.cfg.num_classes)
        return (results, *rest)
    return eval_seq_sde


class _FilteredDetector(nn.Layer):
    """Stands for ppdet's detector in the engine, keeping the boxes the plugin's tools keep (a
    :class:`DetectionFilter`: the score threshold and the classes)."""

    def __init__(self, detector, keep):
        super().__init__()
        self.detector, self.keep = detector, keep

    def forward(self, data):
        outs = self.detector(data)
        bbox = outs['bbox'].numpy().reshape(-1, 6)[:int(outs['bbox_num'].numpy().sum())]
        kept = bbox[:, 1] >= self.keep.det_score_threshold
        if self.keep.det_class_ids:
            kept &= np.isin(bbox[:, 0].astype(np.int64), self.keep.det_class_ids)
        return dict(outs, bbox=paddle.to_tensor(bbox[kept]), bbox_num=paddle.to_tensor([int(kept.sum())], 'int32'))


def _by_class(frames, tracker, num_classes):
    """ppdet's per-class results ({class: [(frame, tlwhs, scores, ids)]}) of the frames ppdet's engine filed under
    class 0, each track under its class."""
    results = collections.defaultdict(list)
    for frame_id, tlwhs, scores, ids in frames:
        classes = tracker.classes_of(ids)
        if len(classes) and classes.max() >= num_classes:
            raise ConfigError("num_classes: {}, but the tracker tracked class {}: ppdet's MCMOT results hold classes "
                              "0 to num_classes - 1 (set num_classes, or det_class_ids)".format(
                                  num_classes, int(classes.max())))
        for cls in np.unique(classes).tolist():
            rows = np.flatnonzero(classes == cls).tolist()
            results[cls].append((frame_id, [tlwhs[k] for k in rows], [scores[k] for k in rows],
                                 [ids[k] for k in rows]))
    return results


def _frame_rate(original, engine, dataloader, args, kwargs):
    return inspect.signature(original).bind(engine, dataloader, *args, **kwargs).arguments.get('frame_rate', 30)


@contextlib.contextmanager
def _replaced(owner, name, value):
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _upright_crops(xyxy, ori_image, w, h):
    """ppdet's ``get_crops`` (x1 y1 x2 y2 boxes in the engine's BGR ``ori_image`` batch of one) as the plugin's
    tools cut them."""
    return crop_batch(ori_image.numpy()[0], np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], 1), (w, h))


def _load_det_results(original):
    def load_det_results(det_file, num_frames):
        dataset = _dataset_reading_detections.get()
        if dataset is None:
            return original(det_file, num_frames)
        return dataset.ppdet_detections(det_file, num_frames)
    return load_det_results


def _deepsort_from_config(original):
    def from_config(cls, cfg, *args, **kwargs):
        if cfg['reid'] not in (None, 'None'):
            return original(cls, cfg, *args, **kwargs)
        return {'detector': create(cfg['detector']) if cfg['detector'] not in (None, 'None') else None,
                'reid': None, 'tracker': create(cfg['tracker'])}
    return from_config


def _load_weights_sde(original):
    def load_weights_sde(self, det_weights, reid_weights):
        if self.model.reid is not None:
            return original(self, det_weights, reid_weights)
        if self.model.detector is not None:
            load_weight(self.model.detector, det_weights)
    return load_weights_sde


def _export(original):
    def export(self, output_dir='output_inference'):
        from .exporter import export_model, exports_reid  # paddle.jit and the exporters only when exporting
        self.model.eval()
        name = os.path.splitext(os.path.split(self.cfg.filename)[-1])[0]
        export_model(self.cfg, self.model.reid if exports_reid(self.cfg) else self.model,
                     os.path.join(output_dir, name))
    return export


def _init_metrics(original):
    def init_metrics(self, validate=False):
        if self.cfg.get('metric') != 'ReID' or self.mode == 'test' or (self.mode == 'train' and not validate):
            return original(self, validate)
        if self.mode == 'train':
            dataset, path = self.cfg['EvalDataset'], os.path.join(self.cfg.save_dir, self.cfg.filename,
                                                                  'eval_results.json')
        else:
            dataset, path = self.dataset, os.path.join(self.cfg.get('output_eval') or '.', 'reid_metrics.json')
        self._metrics = [RetrievalMetric(dataset, path, (lambda: self.status['epoch_id']) if self.mode == 'train'
                                         else None)]
    return init_metrics


# (owner, name, change, the signature it was written for)
def _lcpan_init(original):
    def init(self, in_channels, out_channels, kernel_size=5, num_features=3, use_depthwise=True, act='hard_swish',
             spatial_scales=(0.125, 0.0625, 0.03125)):
        original(self, in_channels, out_channels, kernel_size, num_features, use_depthwise, act, list(spatial_scales))
    return init


CHANGES = [
    (Tracker, 'get_infer_images', _get_infer_images, '(self, infer_dir)'),
    (Tracker, '_eval_seq_sde', _eval_seq_sde, "(self, dataloader, save_dir=None, show_image=False, frame_rate=30, "
                                              "seq_name='', scaled=False, det_file='', draw_threshold=0)"),
    (ppdet_tracker, 'load_det_results', _load_det_results, '(det_file, num_frames)'),
    (DeepSORT, 'from_config', _deepsort_from_config, '(cls, cfg, *args, **kwargs)'),
    (Tracker, 'load_weights_sde', _load_weights_sde, '(self, det_weights, reid_weights)'),
    (Trainer, 'load_weights_sde', _load_weights_sde, '(self, det_weights, reid_weights)'),
    (Trainer, 'export', _export, "(self, output_dir='output_inference')"),
    (Trainer, '_init_metrics', _init_metrics, '(self, validate=False)'),
    (LCPAN, '__init__', _lcpan_init, "(self, in_channels, out_channels, kernel_size=5, num_features=3, "
                                     "use_depthwise=True, act='hard_swish', spatial_scales=[0.125, 0.0625, 0.03125])"),
]


@functools.cache
def install():
    """Apply the changes above that fit the ppdet that runs (once; importing the adapter does it). Returns the
    names of those applied."""
    return ['{}.{}'.format(getattr(owner, '__qualname__', owner.__name__), name) for owner, name, make, signature
            in CHANGES if _patch(owner, name, make, signature)]
