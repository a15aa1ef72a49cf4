"""Tune the tracker's keys on your own annotated sequences, with a held-out estimate of what the choice is worth.

    python tools/tune_tracker.py -c configs/mot/deepsort/deepsort_motion_only.yml --det_results_dir DIR \
        [-o EvalMOTDataset.dataset_dir=... EvalMOTDataset.data_root=...] \
        [--space max_age=30,70,150 n_init=2,3] [--metric HOTA] [--choose worst|mean] [--max_trials 200] \
        [--sampler grid|optuna] [--output_dir output/tune]

The sequences are the config's EvalMOTDataset (those with gt/gt.txt). Their detections, and their appearance
embeddings when the config has a ReID model, are read once (embeddings cached in {output_dir}/embeddings per
sequence and model); each trial runs the tracker alone. Writes:

  {output_dir}/tuned.yml     a config that _BASE_s the given one and sets the chosen FastDeepSORTTracker keys
  {output_dir}/trials.csv    every trial's keys and per-sequence scores
  {output_dir}/trials.png    the trials' scores, the chosen and the config's marked
  {output_dir}/tuning.json   the choice, its in-sample and leave-one-sequence-out scores, and their gap
"""

import csv
import functools
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the plugin's components)
import numpy as np  # noqa: E402
import yaml  # noqa: E402
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.adapter.cli import ArgsParser, load_cfg, prepare_output_dir, run_tool, set_device  # noqa: E402
from ppdet_deepsort.adapter.spec import REGISTRY, run_spec  # noqa: E402
from ppdet_deepsort.engine.models import embedder_for  # noqa: E402
from ppdet_deepsort.engine.tuning import (DEFAULT_SPACE, TuningData, choose, leave_one_out,  # noqa: E402
                                          optuna_search, score_all, trials)
from ppdet_deepsort.errors import ConfigError  # noqa: E402
from ppdet_deepsort.tracker.options import TrackerOptions  # noqa: E402
from ppdet_deepsort.utils.atomic import atomic_write  # noqa: E402

logger = setup_logger('tune_tracker')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('--det_results_dir', type=str, default='',
                        help='Folder of {seq}.txt detection files (overrides EvalMOTDataset.det_results_dir).')
    parser.add_argument('--space', nargs='+', default=None,
                        help='FastDeepSORTTracker keys and the values to try, key=v1,v2,... (default: a few keys of '
                             'the mode, see ppdet_deepsort.engine.tuning.DEFAULT_SPACE).')
    parser.add_argument('--metric', default='HOTA', help='The score: HOTA (default), IDF1, MOTA or another metric.')
    parser.add_argument('--choose', choices=('worst', 'mean'), default='worst',
                        help='worst (default): the setting whose worst shortfall on a sequence is smallest; mean: the '
                             'best mean.')
    parser.add_argument('--max_trials', type=int, default=200,
                        help='At most this many settings (a seeded sample of the grid, or those Optuna proposes).')
    parser.add_argument('--sampler', choices=('grid', 'optuna'), default='grid',
                        help='grid (default): the combinations of --space; optuna: Optuna\'s TPE sampler over the '
                             'same values, max_trials of them (pip install optuna).')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='Processes running trials.')
    parser.add_argument('--output_dir', type=str, default=os.path.join('output', 'tune'))
    return parser.parse_args()


def parse_space(items):
    space = {}
    for item in items:
        key, sep, values = item.partition('=')
        if not sep or not values:
            raise ConfigError("--space {}: expected key=v1,v2,...".format(item))
        if key not in TrackerOptions.__dataclass_fields__:
            raise ConfigError("--space {}: FastDeepSORTTracker has no key {}".format(item, key))
        space[key] = [yaml.safe_load(v) for v in values.split(',')]
    return space


def valid(setting, with_appearance):
    """Whether the tracker keys of ``setting`` make a tracker in this mode (invalid combinations are left out)."""
    try:
        TrackerOptions(**setting).check_mode(with_appearance)
    except ConfigError:
        return False
    return True


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt)
    set_device(cfg.get('use_gpu', False))
    spec = run_spec(cfg, 'eval', FLAGS.det_results_dir)
    if spec.detector is not None:
        raise ConfigError('tune_tracker.py tunes on saved detections: use a config with DeepSORT.detector: None and '
                          '--det_results_dir')
    base = {k: getattr(spec.tracker, k) for k in TrackerOptions.__dataclass_fields__}
    space = parse_space(FLAGS.space) if FLAGS.space else DEFAULT_SPACE[spec.with_appearance]
    is_valid = functools.partial(valid, with_appearance=spec.with_appearance)
    settings = trials(space, base, FLAGS.max_trials, valid=is_valid)
    if len(settings) == 1:
        raise ConfigError('--space {}: no valid setting besides the config\'s (each key is checked as in a config: '
                          'e.g. low_score_threshold must stay at most high_score_threshold)'.format(space))
    prepare_output_dir(FLAGS.output_dir)
    embedder = embedder_for(spec, REGISTRY)
    model_key = '' if spec.reid is None else '{}|{}'.format(spec.reid.fingerprint, spec.tracker.input_size)
    data = TuningData(spec.dataset.sequences(), embedder, os.path.join(FLAGS.output_dir, 'embeddings'), model_key)
    logger.info("Tuning {} keys over {} on {} sequences ({})".format(
        len(space), '{} settings'.format(len(settings)) if FLAGS.sampler == 'grid' else
        'at most {} settings Optuna proposes'.format(FLAGS.max_trials), len(data.names), ', '.join(data.names)))
    start = time.perf_counter()
    if FLAGS.sampler == 'optuna':
        settings, scores = optuna_search(data, space, base, FLAGS.max_trials, FLAGS.metric, FLAGS.choose,
                                         FLAGS.workers, valid=is_valid)
    else:
        scores = score_all(data, settings, FLAGS.metric, FLAGS.workers)
    seconds = time.perf_counter() - start
    names = data.names
    chosen = choose(scores, names, FLAGS.choose)
    held_out = leave_one_out(scores, names, FLAGS.choose)
    changed = {k: settings[chosen][k] for k in space if settings[chosen][k] != base[k]}
    report = {
        'config': os.path.abspath(FLAGS.config), 'metric': FLAGS.metric, 'choose': FLAGS.choose,
        'sequences': names, 'space': space, 'sampler': FLAGS.sampler, 'trials': len(settings),
        'trials_per_minute': round(60 * len(settings) / max(seconds, 1e-9), 1),
        'chosen': {'trial': chosen, 'keys': changed, 'scores': scores[chosen],
                   'mean': float(np.mean([scores[chosen][n] for n in names]))},
        'config_scores': scores[0], 'config_mean': float(np.mean([scores[0][n] for n in names])),
        'leave_one_sequence_out': held_out,
    }
    if held_out:
        held = float(np.mean([r['score'] for r in held_out.values()]))
        report['held_out_mean'] = held
        report['config_held_out_mean'] = float(np.mean([r['config_score'] for r in held_out.values()]))
        report['fitting_gap'] = report['chosen']['mean'] - held
    write_outputs(FLAGS.output_dir, FLAGS.config, changed, settings, scores, names, report, space)
    logger.info("Chosen ({} of {} trials, {:.0f} a minute): {} -> {} {:.1f} in sample{}; the config's {:.1f}".format(
        FLAGS.choose, len(settings), report['trials_per_minute'], changed or 'the config as it is', FLAGS.metric,
        100 * report['chosen']['mean'],
        ', {:.1f} left out (config {:.1f})'.format(100 * report['held_out_mean'], 100 * report['config_held_out_mean'])
        if held_out else '', 100 * report['config_mean']))
    if held_out and report['held_out_mean'] < report['config_held_out_mean']:
        logger.warning("Chosen on the other sequences, the settings scored less on the one left out than the config's "
                       "own ({:.1f} against {:.1f}): on these sequences tuning fits their quirks; keep the config, or "
                       "tune on more sequences".format(100 * report['held_out_mean'],
                                                       100 * report['config_held_out_mean']))
    logger.info("Written: {}".format(', '.join(os.path.join(FLAGS.output_dir, f) for f in
                                               ('tuned.yml', 'trials.csv', 'trials.png', 'tuning.json'))))


def write_outputs(output_dir, config, changed, settings, scores, names, report, space):
    yml = "# Chosen by tools/tune_tracker.py ({} {}, {} trials): see tuning.json\n".format(
        report['choose'], report['metric'], report['trials'])
    yml += yaml.safe_dump({'_BASE_': [os.path.abspath(config)], 'FastDeepSORTTracker': changed or {}},
                          sort_keys=False)
    with atomic_write(os.path.join(output_dir, 'tuned.yml')) as f:
        f.write(yml)
    keys = sorted(space)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator='\n')
    writer.writerow(['trial'] + keys + names + ['mean'])
    for k, (setting, score) in enumerate(zip(settings, scores)):
        writer.writerow([k] + [setting[key] for key in keys] + [round(score[n], 4) for n in names] +
                        [round(float(np.mean([score[n] for n in names])), 4)])
    with atomic_write(os.path.join(output_dir, 'trials.csv')) as f:
        f.write(text.getvalue())
    with atomic_write(os.path.join(output_dir, 'tuning.json')) as f:
        json.dump(report, f, indent=1)
        f.write('\n')
    plot(os.path.join(output_dir, 'trials.png'), scores, names, report)


def plot(path, scores, names, report):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    means = np.array([np.mean([s[n] for n in names]) for s in scores])
    order = np.argsort(means)
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    for n in names:
        ax.plot(np.arange(len(scores)), [scores[k][n] for k in order], '.', alpha=0.6, label=n)
    ax.plot(np.arange(len(scores)), means[order], '-', color='black', label='mean')
    rank = {k: r for r, k in enumerate(order)}
    ax.axvline(rank[report['chosen']['trial']], color='green', linestyle='--', label='chosen')
    ax.axvline(rank[0], color='red', linestyle=':', label="the config's")
    ax.set_xlabel('trials, by mean {}'.format(report['metric']))
    ax.set_ylabel(report['metric'])
    ax.legend(fontsize=7, loc='upper left')
    fig.tight_layout()
    data = io.BytesIO()
    fig.savefig(data, format='png')
    plt.close(fig)
    with atomic_write(path, 'wb') as f:
        f.write(data.getvalue())


if __name__ == '__main__':
    run_tool(main)
