"""Scoring sequences: HOTA, CLEAR MOT and identity metrics per sequence and combined, the table the tools print,
and the files they save (``mot_metrics.json``, ``mot_metrics.csv``, ``hota_alpha.png``).

Under the ``motchallenge`` convention every metric is computed here and equals TrackEval's (and so the
MOTChallenge devkit's) values. Under ``ppdet`` the CLEAR and identity metrics are py-motmetrics' over ppdet's
frames and ignore rule, exactly as ppdet 2.6 prints them, and HOTA is computed here over the same data.
"""

import csv
import json
import logging
import os

import numpy as np

from ..utils.atomic import atomic_write
from .clear import clear_counts, clear_metrics
from .conventions import CONVENTIONS, prepare
from .hota import ALPHAS, hota_metrics, hota_sums
from .identity import identity_counts, identity_metrics

logger = logging.getLogger(__name__)

__all__ = ['MetricsSummary', 'evaluate', 'METRICS', 'TABLE']

# Every metric saved, in this order; rates are fractions.
METRICS = ['HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr', 'LocA', 'MOTA', 'MOTP', 'IDF1', 'IDP', 'IDR',
           'Rcll', 'Prcn', 'GT', 'MT', 'PT', 'ML', 'TP', 'FP', 'FN', 'IDs', 'FM', 'IDTP', 'IDFP', 'IDFN', 'Frames']
# The printed table: ppdet's columns with HOTA, DetA and AssA in front.
TABLE = ['HOTA', 'DetA', 'AssA', 'MOTA', 'IDF1', 'IDP', 'IDR', 'Rcll', 'Prcn', 'GT', 'MT', 'PT', 'ML', 'FP', 'FN',
         'IDs', 'FM', 'MOTP']
_COUNTS = {'GT', 'MT', 'PT', 'ML', 'TP', 'FP', 'FN', 'IDs', 'FM', 'IDTP', 'IDFP', 'IDFN', 'Frames'}
OVERALL = 'OVERALL'


class MetricsSummary:
    """Metrics of some sequences and of all of them together (row ``OVERALL``).

    Attributes:
        convention (str): 'motchallenge' or 'ppdet'.
        rows (dict): {sequence or 'OVERALL': {metric: value}} in ``METRICS`` order.
        curves (dict): {sequence or 'OVERALL': {'HOTA', 'DetA', 'AssA': values over ``ALPHAS``}}.
    """

    def __init__(self, convention, rows, curves):
        self.convention, self.rows, self.curves = convention, rows, curves

    def render(self):
        """The table as ppdet prints its metrics: rates in percent, counts as integers."""
        names = list(self.rows)
        width = max(len(n) for n in names)
        header = ' ' * width + ''.join('{:>8}'.format(c) for c in TABLE)
        lines = [header]
        for name in names:
            cells = []
            for c in TABLE:
                v = self.rows[name][c]
                cells.append('{:>8d}'.format(v) if c in _COUNTS else
                             '{:>8.3f}'.format(v) if c == 'MOTP' else '{:>7.1f}%'.format(100 * v))
            lines.append('{:<{}}'.format(name, width) + ''.join(cells))
        lines.append('({} convention: {})'.format(self.convention, CONVENTIONS[self.convention]))
        return '\n'.join(lines)

    def save(self, output_dir):
        """Write ``mot_metrics.json`` (every metric, the HOTA curves, the convention), ``mot_metrics.csv``
        (every metric) and ``hota_alpha.png`` into ``output_dir``, each atomically. Returns their paths."""
        paths = [os.path.join(output_dir, 'mot_metrics.' + ext) for ext in ('json', 'csv')]
        doc = {'convention': self.convention, 'convention_rules': CONVENTIONS[self.convention],
               'metrics': self.rows, 'alpha': [round(a, 2) for a in ALPHAS.tolist()], 'hota_curves': self.curves}
        with atomic_write(paths[0]) as f:
            # MOTA is -inf when there are no targets at all (ppdet convention on MOT15 gt): null, not -Infinity.
            f.write(json.dumps(_finite(doc), indent=2, allow_nan=False) + '\n')
        with atomic_write(paths[1], newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['sequence', 'convention'] + METRICS)
            for name, row in self.rows.items():
                writer.writerow([name, self.convention] + [row[m] for m in METRICS])
        paths.append(self.plot(os.path.join(output_dir, 'hota_alpha.png')))
        return paths

    def publish(self, output_dir):
        """Print the table and save the files, as the tools do."""
        print(self.render(), flush=True)
        paths = self.save(output_dir)
        logger.info("Metrics ({} convention) saved in {}".format(self.convention, ', '.join(paths)))

    def plot(self, path):
        """HOTA, DetA and AssA against alpha, as TrackEval draws them: the combined curves, bold, and each
        sequence's HOTA, thin. Written atomically; returns ``path``."""
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        # matplotlib logs font discovery at INFO on the root logger, which ppdet's tools print.
        logging.getLogger('matplotlib').setLevel(logging.WARNING)
        fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
        overall = self.curves[OVERALL]
        for key, colour in (('HOTA', 'tab:red'), ('DetA', 'tab:blue'), ('AssA', 'tab:green')):
            ax.plot(ALPHAS, overall[key], color=colour, linewidth=2.5,
                    label='{} {:.1f}'.format(key, 100 * self.rows[OVERALL][key]))
        if len(self.rows) > 2:
            for name, curves in self.curves.items():
                if name != OVERALL:
                    ax.plot(ALPHAS, curves['HOTA'], color='tab:red', linewidth=0.7, alpha=0.4)
        ax.set_xlabel('alpha (localisation threshold, IoU)')
        ax.set_ylabel('score')
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(loc='lower left')
        ax.set_title('{} ({} convention)'.format(', '.join(n for n in self.rows if n != OVERALL)[:70],
                                                  self.convention), fontsize=9)
        with atomic_write(path, mode='wb') as f:
            fig.savefig(f, format='png')
        plt.close(fig)
        return path


def _finite(value):
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return None if isinstance(value, float) and not np.isfinite(value) else value


def evaluate(sequences, convention='motchallenge'):
    """Score sequences.

    Args:
        sequences (iterable): (name, GroundTruth, results {frame: (ids, tlwh, ...)}, frames to evaluate).
        convention (str): 'motchallenge' (devkit / TrackEval) or 'ppdet' (ppdet 2.6's MOTEvaluator).

    Returns:
        MetricsSummary
    """
    if convention not in CONVENTIONS:
        raise ValueError("convention must be one of {}, got {!r}".format(', '.join(CONVENTIONS), convention))
    data = [(name, prepare(gt, results, frames, convention)) for name, gt, results, frames in sequences]
    if not data:
        raise ValueError('no sequence to evaluate')
    for name, d in data:
        if d.num_gt_dets == 0:
            logger.warning("{}: no targets in the evaluated frames{}".format(name, (
                " (the ppdet convention takes targets from the 8th column, class 1, which MOT15 ground truth does "
                "not have)" if convention == 'ppdet' else '')))
    hota = {name: hota_sums(d) for name, d in data}
    hota[OVERALL] = {k: sum(h[k] for h in hota.values()) for k in hota[data[0][0]]}
    if convention == 'motchallenge':
        clear = {name: clear_counts(d) for name, d in data}
        ident = {name: identity_counts(d) for name, d in data}
        for counts in (clear, ident):
            counts[OVERALL] = {k: sum(c[k] for c in counts.values()) for k in counts[data[0][0]]}
        clear_id = {name: dict(clear_metrics(clear[name]), **identity_metrics(ident[name])) for name in clear}
    else:
        clear_id = _motmetrics_clear_id(data)
    rows, curves = {}, {}
    for name in hota:
        means, curves[name] = hota_metrics(hota[name])
        row = dict(means, **clear_id[name])
        rows[name] = {m: int(row[m]) if m in _COUNTS else float(row[m]) for m in METRICS}
    return MetricsSummary(convention, rows, curves)


_MOTMETRICS_NAMES = {'mota': 'MOTA', 'motp': 'MOTP', 'idf1': 'IDF1', 'idp': 'IDP', 'idr': 'IDR', 'recall': 'Rcll',
                     'precision': 'Prcn', 'num_unique_objects': 'GT', 'mostly_tracked': 'MT',
                     'partially_tracked': 'PT', 'mostly_lost': 'ML', 'num_detections': 'TP',
                     'num_false_positives': 'FP', 'num_misses': 'FN', 'num_switches': 'IDs',
                     'num_fragmentations': 'FM', 'idtp': 'IDTP', 'idfp': 'IDFP', 'idfn': 'IDFN', 'num_frames': 'Frames'}


class _DropTimingLogs(logging.Filter):
    """py-motmetrics logs its own timings on the root logger; keep them out of the tools' output."""

    def filter(self, record):
        return 'motmetrics' not in record.pathname


def _motmetrics_clear_id(data):
    """ppdet's CLEAR and identity metrics: py-motmetrics accumulators fed as ppdet's evaluator feeds them."""
    import motmetrics as mm

    if not any(isinstance(f, _DropTimingLogs) for f in logging.getLogger().filters):
        logging.getLogger().addFilter(_DropTimingLogs())

    accumulators = []
    for _, d in data:
        acc = mm.MOTAccumulator(auto_id=True)
        for gt_ids, gt_tlwh, ids, tlwh in d.raw:
            acc.update(gt_ids, ids, mm.distances.iou_matrix(gt_tlwh, tlwh, max_iou=0.5))
        accumulators.append(acc)
    summary = mm.metrics.create().compute_many(accumulators, metrics=list(_MOTMETRICS_NAMES),
                                               names=[name for name, _ in data], generate_overall=True)
    # motmetrics gives NaN for rates of an empty sequence (e.g. IDP without tracker boxes); ppdet prints 0 there.
    summary = summary.astype(float).fillna(0.)
    return {name: {ours: float(row[theirs]) for theirs, ours in _MOTMETRICS_NAMES.items()}
            for name, row in summary.iterrows()}
