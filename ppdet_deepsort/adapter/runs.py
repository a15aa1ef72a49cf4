"""The project's runner (:class:`ppdet_deepsort.engine.runner.SDERunner`) built from a ppdet config."""

from ..checks import check_types, require
from ..engine import manifest
from ..engine.runner import SDERunner
from ..errors import ConfigError
from ..inference import RuntimeOptions
from .builders import detector_from_config, embedder_from_config, resolve_weights
from .config import build, component_keys
from .datasets import MOTDetResultsDataset

__all__ = ['runner_from_config']


def _runner_keys(interpolate_max_gap: int, smooth_sigma: float, flush_interval: float):
    """The top-level config keys of the runner, for their type check."""


def runner_from_config(cfg, mode='eval', scaled_flag=None):
    """A runner for a config that names its parts as PaddleDetection's DeepSORT configs do::

        architecture: DeepSORT
        DeepSORT: {detector: None, reid: <ReID component or None>, tracker: FastDeepSORTTracker}
        reid_weights: <path or URL>          # when reid is set
        EvalMOTDataset / TestMOTDataset: !MOTDetResultsDataset {...}
        interpolate_max_gap, smooth_sigma    # offline post-processing, 0 (off) if absent

    With a detector (``DeepSORT.detector: YOLOv3`` and its blocks, ``det_weights``) frames are read by
    ``EvalMOTReader`` / ``TestMOTReader``'s transforms; ``scaled_flag`` is the user's ``--scaled``, checked
    against the detector's post-process.
    """
    if cfg.get('architecture') != 'DeepSORT' or not isinstance(cfg.get('DeepSORT'), dict):
        raise ConfigError("architecture: expected DeepSORT with a DeepSORT: {{detector, reid, tracker}} section, "
                          "got {!r}".format(cfg.get('architecture')))
    parts = cfg['DeepSORT']
    key = 'EvalMOTDataset' if mode == 'eval' else 'TestMOTDataset'
    dataset = cfg.get(key)
    if not isinstance(dataset, MOTDetResultsDataset):
        raise ConfigError("{}: expected !MOTDetResultsDataset, got {}".format(key, type(dataset).__name__))
    options = RuntimeOptions.from_config(cfg)  # fail on a bad runtime key before any model loads
    tracker_name = parts.get('tracker')
    tracker = build(tracker_name, 'DeepSORT.tracker')  # fail on a bad tracker block before any work
    if not hasattr(tracker, 'outputs'):
        raise ConfigError("DeepSORT.tracker: {} is not a plugin tracker; use FastDeepSORTTracker (ppdet's own "
                          "DeepSORTTracker runs in ppdet's engine)".format(tracker_name))
    detector = None
    if parts.get('detector') not in (None, 'None'):
        if dataset.det_results_dir:
            raise ConfigError("DeepSORT.detector is {}: saved detections (--det_results_dir, {}.det_results_dir) "
                              "are for configs with detector: None".format(parts['detector'], key))
        detector = detector_from_config(cfg, parts['detector'], mode, scaled_flag)
    embedder = embedder_from_config(cfg, tracker.input_size)
    max_gap, sigma = cfg.get('interpolate_max_gap', 0), cfg.get('smooth_sigma', 0.)
    flush = cfg.get('flush_interval', 5.)
    check_types('config', _runner_keys, {'interpolate_max_gap': max_gap, 'smooth_sigma': sigma,
                                         'flush_interval': flush})
    require('config', 'interpolate_max_gap', max_gap >= 0, 'a number of frames >= 0', max_gap)
    require('config', 'smooth_sigma', sigma >= 0, 'a number of frames >= 0', sigma)
    require('config', 'flush_interval', flush > 0, 'seconds > 0', flush)
    return SDERunner(dataset, lambda: build(tracker_name, 'DeepSORT.tracker'), embedder, detector, mode,
                     (max_gap, float(sigma)), options.read_ahead, _settings(cfg, parts, tracker, options, dataset),
                     float(flush))


def _settings(cfg, parts, tracker, options, dataset):
    """What a config's results depend on besides each sequence's inputs: the tracker's keys, the models, their
    weights' contents and how they run, the dataset's filters."""
    settings = {'tracker': vars(tracker.options) if hasattr(tracker, 'options') else repr(tracker),
                'runtime': {key: options.backend(key) for key in ('reid_backend', 'det_backend')},
                'precision': [options.reid_precision, options.det_precision],
                'dataset': {'min_score': dataset.min_score, 'skip_invalid_rows': dataset.skip_invalid_rows}}
    for part, weights_key in (('reid', 'reid_weights'), ('detector', 'det_weights')):
        name = parts.get(part)
        if name in (None, 'None'):
            continue
        weights = cfg.get(weights_key)
        path = resolve_weights(weights, weights_key) if weights not in (None, '', 'None') else None
        settings[part] = {'name': name, 'keys': component_keys(name),
                          'weights': manifest.digest_file(path) if path else None}
    return settings
