"""A run's parts built from its :class:`~.spec.RunSpec`: the ReID embedder, the detector, a fresh tracker per
sequence, and the runner that drives them.

A registered component (a model named by the config) is built by the ``registry`` the ppdet adapter hands in
(:class:`ppdet_deepsort.adapter.spec.Registry`: ppdet's ``create`` and its transform operators); an exported
model needs only its folder. So this layer imports no ppdet.
"""

import dataclasses
import logging

from ..inference.detector import Detector, detector_model, exported_detector_model
from ..inference.embedder import ReIDEmbedder, exported_reid_model, reid_model
from ..reid.weights import load_state_dict
from ..tracker import FastDeepSORTTracker
from .runner import SDERunner

logger = logging.getLogger(__name__)

__all__ = ['embedder_for', 'detector_for', 'tracker_factory', 'runner_for']


def embedder_for(spec, registry=None, mkldnn=True):
    """The run's ReIDEmbedder, or None when it tracks on motion alone."""
    reid = spec.reid
    if reid is None:
        logger.info("No ReID model configured (DeepSORT.reid: None): tracking on motion alone (Kalman filter, "
                    "gated cascade and IoU), appearance matching off")
        return None
    if reid.export_dir:
        size = reid.keys['input_size']
        return ReIDEmbedder(exported_reid_model(reid.export_dir, size, spec.runtime, mkldnn), size,
                            reid.keys['mean'], reid.keys['std'])
    layer = registry.layer(reid.name, 'DeepSORT.reid')
    load_state_dict(layer, reid.weights, 'reid_weights')
    size = spec.tracker.input_size
    return ReIDEmbedder(reid_model(layer, size, spec.runtime), size)


def detector_for(spec, registry, mkldnn=True):
    """The run's Detector, or None when the detections are saved ones. ``registry`` builds the preprocessing (ppdet's
    transform operators), and the detector itself unless it is exported."""
    det = spec.detector
    if det is None:
        return None
    threshold, class_ids = spec.detection_filter.det_score_threshold, spec.detection_filter.det_class_ids
    if det.export_dir:
        model = exported_detector_model(det.export_dir, spec.runtime, threshold, mkldnn)
    else:
        layer = registry.layer(det.name, 'DeepSORT.detector')
        load_state_dict(layer, det.weights, 'det_weights')
        logger.info("Detector {} ({} boxes), score >= {}, classes {}".format(
            det.name, 'rescaled' if det.keys['scaled'] else 'letterboxed', threshold, class_ids or 'all'))
        model = detector_model(layer, det.keys['image_shape'], spec.runtime, threshold)
    return Detector(model, registry.transforms(det.keys['sample_transforms']), det.keys['scaled'], threshold,
                    class_ids)


def tracker_factory(spec):
    """A function returning a fresh tracker for the run, in its mode (with appearance or on motion alone)."""
    keys = dataclasses.asdict(spec.tracker)
    return lambda: FastDeepSORTTracker(**keys).in_mode(spec.with_appearance)


def runner_for(spec, registry=None, mkldnn=True):
    """The :class:`SDERunner` of ``spec``, its models built (``registry``: see the module's docstring). A detector and
    a ReID model that run beside one another (``read_ahead``) share the cores."""
    beside = 2 if spec.detector is not None and spec.reid is not None and spec.runtime.read_ahead > 0 else 1
    models = dataclasses.replace(spec, runtime=spec.runtime.shared_by(beside))
    detector = detector_for(models, registry, mkldnn)
    embedder = embedder_for(models, registry, mkldnn)
    return SDERunner(spec.dataset.sequences(), tracker_factory(spec), embedder, detector, spec.mode,
                     spec.post.interpolation, spec.runtime.read_ahead, spec.digest(), spec.post.flush_interval,
                     spec.schedule.det_interval, spec.runtime.reid_batch_frames, spec.counting, spec.post.save_format,
                     spec.post.class_column)
