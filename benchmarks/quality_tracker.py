"""Tracking quality on the dev split: the recommended configs and their variants, ppdet's built-in tracker and the
peer trackers, scored with the project's HOTA / CLEAR / identity evaluation (equal to TrackEval).

The dev split (tests/data/dev, see its README):
  * MOT17-dev: MOT17-02/04/05/09-FRCNN, public FRCNN detections, motion only (no frames);
  * PETS09-S2L1: the bundled video and detections with OSNet x0.25 embeddings computed here, tracked over all 795
    frames and scored on frames 1-399 (the ground truth there);
  * TUD-Campus: motion only.
Every run goes through the same runner as tools/eval_mot.py (results written and read back as MOTChallenge
files). PETS09's embeddings are computed once and cached in {output_dir}/quality_cache/. Peers' numbers come from
tests/data/dev/peers/trackeval_metrics.json (TrackEval on their result files); ppdet's built-in DeepSORTTracker runs
here on PETS09 with the same detections and embeddings (it cannot track without embeddings).

    python benchmarks/quality_tracker.py [--variants NAME ...] [--hard] [--output_dir output] [-o key=value ...]

--hard adds the motion-only dev sequences with a moving camera, at half the frame rate and with a noisier
detector (tests/dev_variants.py); --grid the motion-only config's parts crossed (camera motion, NSA, time in seconds,
birth rules). Each result has its sequences' metrics and, against the recommended config, the worst sequence's
change of HOTA and IDF1. 'leave_one_sequence_out' chooses among the settings run on every motion-only sequence (each
sequence of each group and variant a unit) the one whose worst shortfall from the best setting on a unit is smallest,
and says for each unit what a choice made on all the others picks and scores on it.

-o applies to every plugin run (e.g. -o FastDeepSORTTracker.max_age=50). Prints one JSON object and writes the
markdown table {output_dir}/quality_tracker.md.
"""

import argparse
import hashlib
import json
import os
import pickle
import sys
import tempfile

import numpy as np
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'tests'))  # dev_variants

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.core.workspace import load_config  # noqa: E402
from ppdet.modeling.mot.tracker import DeepSORTTracker  # noqa: E402
from ppdet_deepsort.adapter.datasets import MOTDetResultsDataset  # noqa: E402
from ppdet_deepsort.data import GroundTruth, read_mot_results  # noqa: E402
from ppdet_deepsort.engine.runner import SDERunner  # noqa: E402
from ppdet_deepsort.metrics import evaluate  # noqa: E402
from ppdet_deepsort.adapter.spec import REGISTRY, run_spec  # noqa: E402
from ppdet_deepsort.engine.models import embedder_for  # noqa: E402
from ppdet_deepsort.tracker import FastDeepSORTTracker  # noqa: E402
from ppdet_deepsort.adapter.cli import logs_to_stderr, run_tool  # noqa: E402

DEV = os.path.join(REPO, 'tests', 'data', 'dev')
CONFIGS = os.path.join(REPO, 'configs', 'mot', 'deepsort')
PETS = os.path.join(REPO, 'dataset', 'mot', 'PETS09')
GROUPS = {  # name: (peers' key prefix in trackeval_metrics.json, appearance?)
    'MOT17-dev': ('MOT17-dev', False),
    'PETS09-S2L1 1-399': ('PETS09', True),
    'PETS09-S2L1 1-399, motion only': ('PETS09', False),
    'TUD-Campus': (None, False),
}
MOTION_PEERS = ('sort', 'bytetrack', 'ocsort')  # the peers that track without embeddings
# (name, config or None for the recommended one, tracker overrides, offline post-processing (max gap, sigma),
# groups or None for all): the recommended configs, each option turned off or on alone, and the settings of
# PaddleDetection and nwojke/deep_sort.
VARIANTS = [
    ('recommended', None, {}, (0, 0.), None),
    ('recommended, other Kalman state', None, {'kalman_state': 'other'}, (0, 0.), None),
    ('recommended, observation_centric switched', None, {'observation_centric': 'other'}, (0, 0.), None),
    ('recommended, Mahalanobis gate switched', None, {'motion_gate': 'other'}, (0, 0.), 'motion'),
    ('recommended, NSA switched', None, {'nsa': 'other'}, (0, 0.), None),
    ('recommended + two-stage scores 0.6/0.1', None, {'high_score_threshold': 0.6, 'low_score_threshold': 0.1},
     (0, 0.), None),
    ('recommended, velocity noise x2', None, {'velocity_noise': 0.0125}, (0, 0.), 'motion'),
    ('recommended + momentum 0.2', None, {'momentum_weight': 0.2}, (0, 0.), 'motion'),
    ('recommended, n_init 2', None, {'n_init': 2}, (0, 0.), 'motion'),
    ('recommended, max_age 35', None, {'max_age': 35}, (0, 0.), 'motion'),
    ('recommended, one global assignment', None, {'matching_cascade': False}, (0, 0.), 'motion'),
    ('recommended, other appearance model', None, {'appearance': 'other'}, (0, 0.), 'appearance'),
    ('recommended, n_init 3', None, {'n_init': 3}, (0, 0.), 'appearance'),
    ('recommended, other output rule', None, {'max_time_since_update': 'other'}, (0, 0.), None),
    ('recommended + motion_weight 0.02', None, {'motion_weight': 0.02}, (0, 0.), 'appearance'),
    ('recommended + camera_motion frames', None, {'camera_motion': 'frames'}, (0, 0.), 'appearance'),
    ('recommended + camera_motion detections', None, {'camera_motion': 'detections'}, (0, 0.), 'appearance'),
    ('recommended, ReID on demand', None, {'reid_policy': 'on_demand'}, (0, 0.), 'appearance'),
    ('recommended, ReID on demand min IoU 0.5 refresh 10', None,
     {'reid_policy': 'on_demand', 'reid_min_iou': 0.5, 'reid_refresh': 10}, (0, 0.), 'appearance'),
    ('recommended, det_interval 2', None, {'det_interval': 2}, (0, 0.), None),
    ('recommended, det_interval 3', None, {'det_interval': 3}, (0, 0.), None),
    ('recommended + offline interpolation 20, smoothing 2', None, {}, (20, 2.), None),
    ('PaddleDetection settings', 'deepsort_pcb_pyramid_r101.yml', {}, (0, 0.), None),
    ('nwojke README settings', 'deepsort_pcb_pyramid_r101.yml',
     {'max_age': 30, 'max_iou_distance': 0.7, 'matching_threshold': 0.2}, (0, 0.), None),
]
# --grid: the motion-only config's parts of issue 30 crossed (each value set explicitly), for leave_one_out to choose.
BIRTH = {'all': {'high_score_threshold': 0., 'low_score_threshold': 0., 'new_track_threshold': 0., 'score_boost': False,
                 'new_track_quantile': 0.},
         'ByteTrack 0.6/0.1/0.7': {'high_score_threshold': 0.6, 'low_score_threshold': 0.1, 'new_track_threshold': 0.7},
         'ByteTrack + boost': {'high_score_threshold': 0.6, 'low_score_threshold': 0.1, 'new_track_threshold': 0.7,
                               'score_boost': True},
         'floor 0.7': {'new_track_threshold': 0.7},
         'quantile 0.1': {'new_track_quantile': 0.1}}
GRID = [('grid: camera {}, nsa {}, reference_fps {}, birth {}'.format(camera, nsa, fps, birth), None,
         dict(BIRTH['all'], camera_motion=camera, nsa=nsa, reference_fps=fps, **BIRTH[birth]), (0, 0.), 'motion')
        for camera in ('none', 'detections') for nsa in (True, False) for fps in (0, 30) for birth in BIRTH]
_SWITCH = {True: False, False: True}
OTHER = {'appearance': {'gallery': 'ema', 'ema': 'gallery'}, 'kalman_state': {'xyah': 'xywh', 'xywh': 'xyah'},
         'max_time_since_update': {0: 1, 1: 0}, 'observation_centric': _SWITCH, 'nsa': _SWITCH,
         'motion_gate': _SWITCH}  # 'other'
REPORTED = ('HOTA', 'DetA', 'AssA', 'MOTA', 'IDF1', 'IDs', 'FP', 'FN')


def tracker_params(config):
    """The FastDeepSORTTracker keys of a config file (its _BASE_ chain resolved)."""
    cfg = load_config(config)
    section = cfg['FastDeepSORTTracker']
    return {k: section[k] for k in section.schema}


class CachedEmbedder:
    """An embedder that remembers each frame's embeddings by its boxes, on disk between runs."""

    crops_ahead = False  # it embeds a frame's boxes when asked, from its cache

    def __init__(self, embedder, path):
        self.embedder, self.path = embedder, path
        self.cache = pickle.load(open(path, 'rb')) if os.path.isfile(path) else {}
        self.dirty = False

    def __call__(self, image, tlwh, needed=None):
        # Every box's embedding, whatever ``needed`` says: the tracker reads only the rows it asked for.
        key = np.ascontiguousarray(tlwh, np.float64).tobytes()
        if key not in self.cache:
            self.cache[key] = self.embedder(image, tlwh)
            self.dirty = True
        return self.cache[key]

    def save(self):
        if self.dirty:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self.path + '.tmp', 'wb') as f:
                pickle.dump(self.cache, f)
            os.replace(self.path + '.tmp', self.path)
            self.dirty = False


def hard_datasets(work):
    """The motion-only dev sequences (MOT17-dev and TUD-Campus) made harder (tests/dev_variants.py): a moving
    camera, half the frame rate, a noisier detector. {group: (dataset, sequences)} as :func:`dev_datasets`."""
    from dev_variants import DEV_SEQUENCES, VARIANTS, make_variant
    groups = {}
    for variant in VARIANTS:
        folders = [make_variant(seq, variant, os.path.join(work, 'dev_variants')) for seq in DEV_SEQUENCES]
        names = [os.path.basename(f) for f in folders]
        det_dir = os.path.join(work, 'dev_variants', variant + '_dets')
        os.makedirs(det_dir, exist_ok=True)
        for folder, name in zip(folders, names):
            link = os.path.join(det_dir, name + '.txt')
            if not os.path.exists(link):
                os.symlink(os.path.join(folder, 'det', 'det.txt'), link)
        groups['motion-only dev, ' + variant] = (
            MOTDetResultsDataset(os.path.join(work, 'dev_variants'), variant, det_dir, names),
            [(name, os.path.join(folder, 'gt', 'gt.txt'), None) for folder, name in zip(folders, names)])
    return groups


def leave_one_out(results, groups, baseline='recommended'):
    """The choice of a setting, made so that it resists fitting: every sequence of every group in ``groups`` (the dev
    sequences and their variants) is a unit; a setting's regret on a unit is how far its HOTA falls short of the
    best setting's there; the choice is the setting whose worst regret is smallest (it wins on the worst sequence,
    not on the sum). For each unit, the choice made on all the other units and what it scores on the one left out,
    beside ``baseline``'s; 'chosen' is the choice on every unit, 'best_sum' what the mean HOTA would pick."""
    hota = {name: {(g, s): seq['HOTA'] for g in groups if g in row for s, seq in row[g].get('sequences', {}).items()}
            for name, row in results.items()}
    units = sorted(hota.get(baseline) or set().union(*hota.values()))
    hota = {name: h for name, h in hota.items() if units and all(u in h for u in units)}
    if len(hota) < 2 or len(units) < 2:
        return {}
    best = {u: max(h[u] for h in hota.values()) for u in units}

    def choose(among):
        return min(hota, key=lambda name: max(best[u] - hota[name][u] for u in among))
    report = {'units': len(units), 'settings': len(hota), 'chosen': choose(units),
              'best_sum': max(hota, key=lambda name: sum(hota[name].values())), 'left_out': {}}
    for unit in units:
        chosen = choose([u for u in units if u != unit])
        row = {'chosen_on_the_others': chosen, 'HOTA': round(hota[chosen][unit], 4),
               'regret': round(best[unit] - hota[chosen][unit], 4)}
        if baseline in hota:
            row[baseline + '_HOTA'] = round(hota[baseline][unit], 4)
        report['left_out'][' / '.join(unit)] = row
    return report


def dev_datasets(work):
    """{group: (dataset, [(sequence, gt path, last scored frame)])}."""
    mot17 = os.path.join(DEV, 'MOT17-dev', 'train')
    det_dir = os.path.join(work, 'mot17_dets')
    os.makedirs(det_dir, exist_ok=True)
    seqs = sorted(os.listdir(mot17))
    for seq in seqs:  # the dataset reads {det_results_dir}/{seq}.txt
        link = os.path.join(det_dir, seq + '.txt')
        if not os.path.exists(link):
            os.symlink(os.path.join(mot17, seq, 'det', 'det.txt'), link)
    pets09 = (MOTDetResultsDataset(PETS, 'images/train', os.path.join(PETS, 'det_results'), ['PETS09-S2L1']),
              [('PETS09-S2L1', os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt'), 399)])
    return {
        'MOT17-dev': (MOTDetResultsDataset(os.path.join(DEV, 'MOT17-dev'), 'train', det_dir, seqs),
                      [(s, os.path.join(mot17, s, 'gt', 'gt.txt'), None) for s in seqs]),
        'PETS09-S2L1 1-399': pets09,
        'PETS09-S2L1 1-399, motion only': pets09,
        'TUD-Campus': (MOTDetResultsDataset(os.path.join(REPO, 'tests', 'data'), 'TUD',
                                            os.path.join(REPO, 'tests', 'data', 'TUD', 'det_results'), ['TUD-Campus']),
                       [('TUD-Campus', os.path.join(REPO, 'tests', 'data', 'TUD', 'TUD-Campus', 'gt', 'gt.txt'),
                         None)]),
    }


def score(results_dir, dataset, sequences):
    """The combined metrics of ``sequences``, with each sequence's under 'sequences'."""
    scored = []
    for name, gt_path, last in sequences:
        seq = dataset.sequence(name)
        results = read_mot_results(os.path.join(results_dir, 'mot_results', name + '.txt'))
        scored.append((name, GroundTruth(gt_path, name), results, range(1, (last or seq.num_frames) + 1)))
    rows = evaluate(scored).rows
    pick = lambda row: {k: round(row[k], 4) if isinstance(row[k], float) else row[k] for k in REPORTED}  # noqa: E731
    return dict(pick(rows['OVERALL']), sequences={name: pick(rows[name]) for name, _, _ in sequences})


def worst_sequence_changes(results, baseline='recommended'):
    """Per variant and group, the smallest change of HOTA and IDF1 over the group's sequences against
    ``baseline``: a setting that wins on the sum but loses a sequence shows here."""
    for name, groups in results.items():
        for group, row in groups.items():
            base = results.get(baseline, {}).get(group)
            if name == baseline or base is None or 'sequences' not in row:
                continue
            row['worst_sequence_change'] = {k: round(min(seq[k] - base['sequences'][s][k]
                                                         for s, seq in row['sequences'].items()), 4)
                                            for k in ('HOTA', 'IDF1')}


def run_plugin(params, dataset, embedder, sequences, work, interpolation=(0, 0.)):
    out = tempfile.mkdtemp(dir=work)
    params = dict(params)
    det_interval = params.pop('det_interval', 1)  # the runner's, not the tracker's
    runner = SDERunner(dataset, lambda: FastDeepSORTTracker(**params), embedder, interpolation=interpolation,
                       det_interval=det_interval)
    stats = runner.run(out, evaluate=False)
    scores = score(out, dataset, sequences)
    crops = sum(s['crops'] for s in stats.values())
    if crops:  # the share of crops the ReID policy had embedded, over every frame tracked
        scores['embedded'] = round(sum(s['embedded'] for s in stats.values()) / crops, 3)
    return scores


def run_builtin(dataset, embedder, sequences, work, input_size):
    """ppdet's DeepSORTTracker with PaddleDetection's settings, same frames, detections and embeddings."""
    from ppdet_deepsort.engine.outputs import write_mot_results
    out = tempfile.mkdtemp(dir=work)
    for name, _, _ in sequences:
        seq = dataset.sequence(name)
        tracker, results = DeepSORTTracker(input_size=input_size), {}
        for frame_id, image, tlwh, det_score in dataset.frames(seq, with_images=True):
            pred = np.c_[np.zeros(len(tlwh)), det_score, tlwh[:, :2], tlwh[:, :2] + tlwh[:, 2:]].astype(np.float32)
            tracker.predict()
            tracks = [t for t in tracker.update(pred, embedder(image, tlwh))
                      if t.is_confirmed() and t.time_since_update <= 1]
            results[frame_id] = (np.array([t.track_id for t in tracks], np.int64),
                                 np.array([t.to_tlwh() for t in tracks]).reshape(-1, 4), np.ones(len(tracks)))
        os.makedirs(os.path.join(out, 'mot_results'), exist_ok=True)
        write_mot_results(os.path.join(out, 'mot_results', name + '.txt'), results)
    return score(out, dataset, sequences)


def peers():
    """{group: {tracker: metrics}}: TrackEval's on the dev split, the project's evaluation on the harder variants
    (tests/data/dev/peers/variants, benchmarks/score_peers.py)."""
    stored = json.load(open(os.path.join(DEV, 'peers', 'trackeval_metrics.json')))
    names = {'IDs': 'IDSW'}
    table = {}
    for group, (prefix, appearance) in GROUPS.items():
        if prefix is None:
            continue
        runs = next(v for k, v in stored.items() if k.startswith(prefix))
        table[group] = {tracker: {k: round(rows['COMBINED'][names.get(k, k)], 4) for k in REPORTED}
                        for tracker, rows in runs.items() if appearance or tracker in MOTION_PEERS}
    with open(os.path.join(DEV, 'peers', 'variants', 'metrics.json')) as f:
        for variant, runs in json.load(f).items():
            table['motion-only dev, ' + variant] = {tracker: {k: rows[k] for k in REPORTED}
                                                    for tracker, rows in runs['trackers'].items()}
    return table


def markdown(results, peer_table):
    lines = ['| dev data | tracker | ' + ' | '.join(REPORTED) + ' | worst sequence: HOTA, IDF1 change |',
             '|---|---|' + '---|' * (len(REPORTED) + 1)]
    for group in GROUPS:
        rows = [(name, r[group]) for name, r in results.items() if group in r]
        rows += [('peer: ' + name, r) for name, r in peer_table.get(group, {}).items()]
        for name, r in rows:
            cells = ['{:.1f}'.format(100 * r[k]) if isinstance(r[k], float) else str(r[k]) for k in REPORTED]
            worst = r.get('worst_sequence_change')
            cells.append('{:+.1f}, {:+.1f}'.format(100 * worst['HOTA'], 100 * worst['IDF1']) if worst else '')
            lines.append('| {} | {} | {} |'.format(group, name, ' | '.join(cells)))
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--variants', nargs='+', default=None, help='names of VARIANTS to run (default: all)')
    parser.add_argument('--groups', nargs='+', default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument('--output_dir', default='output')
    parser.add_argument('-o', '--opt', nargs='*', default=[], help='FastDeepSORTTracker.key=value for every run')
    parser.add_argument('--no_builtin', action='store_true', help="skip ppdet's built-in tracker")
    parser.add_argument('--grid', action='store_true',
                        help="also the motion-only config's camera motion, NSA, time in seconds and birth rules "
                             "crossed (GRID), for the leave-one-sequence-out choice")
    parser.add_argument('--hard', action='store_true',
                        help='also the motion-only dev sequences with a moving camera, at half the frame rate and with '
                             'a noisier detector (tests/dev_variants.py)')
    args = parser.parse_args()
    logs_to_stderr()
    overrides = {}
    for item in args.opt:
        key, _, value = item.partition('=')
        overrides[key.split('.')[-1]] = yaml.safe_load(value)  # as ppdet reads -o values
    work = os.path.join(args.output_dir, 'quality_work')
    os.makedirs(work, exist_ok=True)
    datasets = dev_datasets(work)
    groups = list(args.groups)
    if args.hard:
        hard = hard_datasets(work)
        datasets.update(hard)
        GROUPS.update({group: (None, False) for group in hard})
        groups += list(hard)

    # ppdet's load_config returns its one global config: take what is needed of a config before loading the next.
    appearance_cfg = load_config(os.path.join(CONFIGS, 'deepsort_osnet_x0_25.yml'))
    recommended = {True: tracker_params(os.path.join(CONFIGS, 'deepsort_osnet_x0_25.yml'))}
    embedder = None
    if any(GROUPS[g][1] for g in groups):
        weights = os.path.join(REPO, appearance_cfg['reid_weights'])
        key = hashlib.sha1(open(weights, 'rb').read() + repr((recommended[True]['input_size'],
                                                               appearance_cfg.get('reid_precision'))).encode())
        embedder = CachedEmbedder(embedder_for(run_spec(appearance_cfg), REGISTRY),
                                  os.path.join(args.output_dir, 'quality_cache',
                                               'osnet_{}.pkl'.format(key.hexdigest()[:12])))
    recommended[False] = tracker_params(os.path.join(CONFIGS, 'deepsort_motion_only.yml'))
    results = {}
    for name, config, changes, interpolation, only in VARIANTS + (GRID if args.grid else []):
        if args.variants and name not in args.variants and not name.startswith('grid: '):
            continue
        results[name] = {}
        for group in groups:
            appearance = GROUPS[group][1]
            if only and only != ('appearance' if appearance else 'motion'):
                continue
            params = dict(tracker_params(os.path.join(CONFIGS, config)) if config else recommended[appearance])
            params.update({k: OTHER[k][params[k]] if v == 'other' else v for k, v in changes.items()})
            params.update(overrides)
            dataset, sequences = datasets[group]
            results[name][group] = run_plugin(params, dataset, embedder if appearance else None, sequences, work,
                                              interpolation)
            print('{:<28} {:<18} {}'.format(name, group, results[name][group]), file=sys.stderr, flush=True)
    if embedder is not None and not args.no_builtin:
        dataset, sequences = datasets['PETS09-S2L1 1-399']
        results["ppdet's built-in DeepSORTTracker"] = {'PETS09-S2L1 1-399': run_builtin(
            dataset, embedder, sequences, work, recommended[True]['input_size'])}
    if embedder is not None:
        embedder.save()
    worst_sequence_changes(results)
    peer_table = peers()
    with open(os.path.join(args.output_dir, 'quality_tracker.md'), 'w') as f:
        f.write(markdown(results, peer_table))
    print(json.dumps({'convention': 'motchallenge (TrackEval)', 'dev_split': 'tests/data/dev', 'overrides': overrides,
                      'recommended': {'appearance': recommended[True], 'motion_only': recommended[False]},
                      'results': results, 'peers': peer_table,
                      'leave_one_sequence_out': {
                          'motion only': leave_one_out(results, [g for g in groups if not GROUPS[g][1]]),
                          'appearance': leave_one_out(results, [g for g in groups if GROUPS[g][1]])}},
                     indent=2))


if __name__ == '__main__':
    run_tool(main)
