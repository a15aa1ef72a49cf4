"""What every tool does first: PaddleDetection's flags, the config with its ``-o`` overrides, the device."""

import dataclasses
import difflib
import inspect
import logging
import os
import sys
import tempfile

import paddle
import yaml
from ppdet.core.config.schema import SchemaDict
from ppdet.core.workspace import load_config, merge_config
from ppdet.utils.cli import ArgsParser

from ..engine.spec import TOP_LEVEL_KEYS, Counting
from ..errors import ConfigError, PluginError

logger = logging.getLogger(__name__)

__all__ = ['ArgsParser', 'load_cfg', 'set_device', 'prepare_output_dir', 'run_tool', 'logs_to_stderr', 'parse_bool',
           'add_scaled_flag', 'add_convention_flag', 'add_counting_flags', 'counting_flags', 'add_save_format_flag']


def load_cfg(config, opts, builds=()):
    """Load a YAML config (with ``_BASE_``) and apply ``-o key=value`` overrides.

    ppdet merges overrides as dicts, which would replace a YAML-tagged object such as
    ``EvalMOTDataset: !MOTDetResultsDataset`` with a bare dict; here such an object is rebuilt with the
    overridden arguments instead, so ``-o EvalMOTDataset.data_root=...`` works (and is type-checked).

    ppdet also merges overrides that nothing reads (a misspelt section or key) without a word, and the run then
    goes on with the defaults; here they are refused, naming the closest known names. ``builds`` names the
    components the tool builds besides the architecture's (e.g. the training tool's LearningRate).
    """
    try:
        cfg = load_config(config)
    except FileNotFoundError as e:
        raise ConfigError("config file not found: {}".format(e.filename)) from None
    _check_overrides(cfg, opts or {}, builds)
    plain = {}
    for key, value in (opts or {}).items():
        current = cfg.get(key)
        if isinstance(value, dict) and current is not None and not isinstance(current, dict):
            params = inspect.signature(type(current).__init__).parameters
            unknown = sorted(set(value) - set(params))
            if unknown:
                raise ConfigError("-o {}.{}: {} has no such key (known: {})".format(
                    key, unknown[0], type(current).__name__, ', '.join(p for p in params if p != 'self')))
            args = {p: getattr(current, p) for p in params if p != 'self'}
            args.update(value)
            cfg[key] = type(current)(**args)
        else:
            plain[key] = value
    merge_config(plain)
    return cfg




def _used_components(cfg, builds=()):
    """Registered components this config builds: the architecture, ``builds``, and every component their
    sections name."""
    used, todo = set(), [cfg.get('architecture')] + list(builds)
    while todo:
        name = todo.pop()
        if isinstance(name, str) and name not in used and isinstance(cfg.get(name), SchemaDict):
            used.add(name)
            todo.extend(v for v in cfg[name].values() if isinstance(v, str))
    return used


def _check_overrides(cfg, opts, builds=()):
    used = _used_components(cfg, builds)
    plain_keys = [k for k, v in cfg.items() if not isinstance(v, SchemaDict)]
    for key, value in opts.items():
        current = cfg.get(key)
        if isinstance(current, SchemaDict) and key in used:
            if isinstance(value, dict):
                unknown = sorted(set(value) - set(current.schema))
                if unknown:
                    raise ConfigError("-o {}.{}: {} has no such key{} (known: {})".format(
                        key, unknown[0], key, _did_you_mean(unknown[0], current.schema),
                        ', '.join(sorted(current.schema))))
            continue
        if key in plain_keys or key in TOP_LEVEL_KEYS:
            continue
        what = 'section' if isinstance(value, dict) else 'key'
        shown = key + ('.' + next(iter(value)) if isinstance(value, dict) and value else '')
        if isinstance(current, SchemaDict):
            raise ConfigError("-o {}: this config does not use {} (the components it builds: {})".format(
                shown, key, ', '.join(sorted(used))))
        raise ConfigError("-o {}: no {} {} in this config{}".format(
            shown, what, key, _did_you_mean(key, sorted(used) + plain_keys + list(TOP_LEVEL_KEYS))))


def _did_you_mean(name, known):
    close = difflib.get_close_matches(name, list(dict.fromkeys(known)), n=3, cutoff=0.6)
    return '; did you mean {}?'.format(' or '.join(close)) if close else ''


def set_device(want_gpu):
    """Run paddle on the GPU when asked (``use_gpu: true``) and available, else on the CPU, saying why; returns
    whether it runs on the GPU."""
    if want_gpu and not paddle.is_compiled_with_cuda():
        logger.warning("GPU requested but this paddlepaddle build has no CUDA support (install paddlepaddle-gpu "
                       "for that); running on CPU")
        want_gpu = False
    paddle.set_device('gpu' if want_gpu else 'cpu')
    return bool(want_gpu)


def prepare_output_dir(output_dir):
    """Create ``output_dir`` and make sure files can be written there, before any work is done."""
    try:
        os.makedirs(output_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as e:
        raise ConfigError("cannot write to output folder {}: {}".format(output_dir, e.strerror or e)) from None


def run_tool(main):
    """Run a tool's ``main``; a problem with the user's input or files ends it with one clear line and exit
    status 1 instead of a traceback."""
    try:
        main()
    except (PluginError, yaml.YAMLError) as e:
        logger.error(str(e))
        sys.exit(1)


def move_log_handlers(source, target):
    """Point every stream handler of the loggers set up so far that writes to ``source`` at ``target``."""
    for logger in [logging.getLogger()] + [logging.getLogger(n) for n in logging.Logger.manager.loggerDict]:
        for handler in getattr(logger, 'handlers', []):
            if isinstance(handler, logging.StreamHandler) and handler.stream is source:
                handler.setStream(target)


def logs_to_stderr():
    """Send the log output of every logger set up so far (ppdet's loggers write to stdout) to stderr, for
    tools whose stdout is a JSON report. Call it after the imports."""
    move_log_handlers(sys.stdout, sys.stderr)


def parse_bool(text):
    """argparse type for true/false flags given as values (``--scaled=False``): PaddleDetection's ``type=bool``
    turns the string 'False' into True."""
    value = text.strip().lower()
    if value in ('true', '1', 'yes'):
        return True
    if value in ('false', '0', 'no'):
        return False
    raise ValueError(text)


def add_scaled_flag(parser):
    """PaddleDetection's --scaled, which here is only checked: the detector's config says which applies."""
    parser.add_argument('--scaled', type=parse_bool, default=None,
                        help="Whether the detector's boxes are already scaled to the original image (False for JDE "
                             "YOLOv3, True for general detectors). It is worked out from the detector's "
                             "post-process; a contradicting value is warned about.")


def add_resume_flag(parser):
    """--resume: skip the sequences an earlier run of the same settings finished (its manifests prove it)."""
    parser.add_argument('--resume', action='store_true',
                        help='Do not track again a sequence or video whose result file in --output_dir is complete '
                             'for the same settings, weights and inputs (mot_manifests/{seq}.json says so); '
                             'every other one is tracked, and the log says why.')


def add_counting_flags(parser):
    """PP-Tracking's counting flags (deploy/pptracking/python/mot_utils.py), with its names and meanings; each given
    flag overrides the config's top-level key of the same name (:class:`ppdet_deepsort.engine.spec.Counting`)."""
    parser.add_argument('--do_entrance_counting', action='store_true', default=None,
                        help='Count the tracks crossing the entrance line (region_type), in and out.')
    parser.add_argument('--do_break_in_counting', action='store_true', default=None,
                        help='Count the tracks entering the area --region_polygon.')
    parser.add_argument('--region_type', choices=('horizontal', 'vertical', 'custom'), default=None,
                        help="The entrance line: horizontal (the frame's middle, in = moving down), vertical (in = "
                             "moving right), custom (--region_polygon x0 y0 x1 y1; in = onto its right-hand side).")
    parser.add_argument('--region_polygon', nargs='+', type=int, default=None,
                        help='Points x0 y0 x1 y1 ... (pixels): a custom entrance line (two) or the break-in area '
                             '(three or more corners, in order).')
    parser.add_argument('--secs_interval', type=float, default=None,
                        help='Counting interval in seconds (mot_counts/{seq}.csv has a row per interval).')
    parser.add_argument('--draw_center_traj', action='store_true', default=None,
                        help="Draw each track's whole path on the annotated frames.")


def add_save_format_flag(parser):
    """--save_format: tables of the results besides the MOTChallenge file (the config's save_format)."""
    parser.add_argument('--save_format', nargs='+', choices=('csv', 'json'), default=None,
                        help='Also write the results with each frame\'s time, the class and whether each box was '
                             'observed, predicted or interpolated: csv (mot_results/{seq}.csv), json (JSON Lines, '
                             'mot_results/{seq}.jsonl).')


def counting_flags(flags):
    """The counting flags given on the command line, as {key: value}."""
    return {f.name: getattr(flags, f.name) for f in dataclasses.fields(Counting)
            if getattr(flags, f.name, None) is not None}


def add_convention_flag(parser):
    """--convention: which ground-truth convention the metrics follow."""
    parser.add_argument('--convention', choices=('motchallenge', 'ppdet'), default='motchallenge',
                        help="motchallenge (default): as the MOTChallenge devkit and TrackEval, every frame counts; "
                             "ppdet: as ppdet 2.6's MOTEvaluator (only frames in the results, its ignore rule), for "
                             "comparison with PaddleDetection's published tables.")
