"""The recommended configs, run as a user runs them, against the peer trackers on the same inputs
(tests/data/dev/peers): the appearance config (OSNet) on the dev frames of PETS09-S2L1, the motion-only config on
the same frames, on the dev split's MOT17 sequences and on their harder variants (tests/dev_variants.py). Each must
stay ahead of every peer on HOTA and IDF1, and not fall behind on MOTA, except where docs/quality.md states a gap,
which must not widen."""

import json
import os

import pytest
from conftest import DEV, REPO, run_tool
from dev_variants import DEV_SEQUENCES, input_hashes, make_variant

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

MOT17_DEV = os.path.join(DEV, 'MOT17-dev')
PEERS = json.load(open(os.path.join(DEV, 'peers', 'trackeval_metrics.json')))
VARIANT_PEERS = json.load(open(os.path.join(DEV, 'peers', 'variants', 'metrics.json')))
# At half the frame rate OC-SORT associates better (docs/quality.md): how far behind it may stay.
KNOWN_GAPS = {'half_rate': {'HOTA': 0.005, 'IDF1': 0.011}}  # -0.41 and -0.98 at issue 30 (-0.9, -2.3 before)


def eval_motion_only(tmp_path, dataset_dir, data_root, det_files):
    """tools/eval_mot.py with the recommended motion-only config on {dataset_dir}/{data_root}, with det_files
    ({sequence: path}) as the saved detections; the combined metrics."""
    dets = tmp_path / 'dets'
    dets.mkdir()
    for seq, path in det_files.items():
        (dets / (seq + '.txt')).symlink_to(path)
    out = tmp_path / 'out'
    run_tool('tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--det_results_dir',
             str(dets), '--output_dir', str(out), '-o', 'EvalMOTDataset.dataset_dir={}'.format(dataset_dir),
             'EvalMOTDataset.data_root={}'.format(data_root), 'EvalMOTDataset.seqs=[{}]'.format(','.join(det_files)))
    return json.loads((out / 'mot_metrics.json').read_text())['metrics']['OVERALL']


def test_recommended_appearance_config_beats_the_peers_on_pets09_dev_frames(tmp_path):
    """deepsort_osnet_x0_25.yml on PETS09-S2L1 (ground truth for frames 1-399) against nwojke/deep_sort, ppdet's
    DeepSORTTracker, BoT-SORT, StrongSORT, DeepOCSORT, ByteTrack, OC-SORT and SORT on the same detections and OSNet
    embeddings."""
    out = tmp_path / 'out'
    run_tool('tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '--det_results_dir',
             os.path.join(REPO, 'dataset', 'mot', 'PETS09', 'det_results'), '--output_dir', str(out), '-o',
             'EvalMOTDataset.dataset_dir={}'.format(DEV), 'EvalMOTDataset.data_root=.',
             'EvalMOTDataset.seqs=[PETS09-S2L1]')
    ours = json.loads((out / 'mot_metrics.json').read_text())['metrics']['OVERALL']
    assert ours['Frames'] == 399
    peers = next(v for k, v in PEERS.items() if k.startswith('PETS09-S2L1 frames 1-399'))
    assert len(peers) == 8
    for metric in ('HOTA', 'IDF1'):
        assert ours[metric] > max(p['COMBINED'][metric] for p in peers.values()), metric
    assert ours['MOTA'] > max(p['COMBINED']['MOTA'] for p in peers.values()) - 0.005


def test_recommended_motion_only_config_beats_the_peers_on_pets09_dev_frames(tmp_path):
    """deepsort_motion_only.yml on PETS09-S2L1 (a static camera at 7 frames a second, ground truth for frames 1-399)
    against the peers that track without embeddings (ByteTrack, OC-SORT, SORT) on the same detections."""
    ours = eval_motion_only(tmp_path, DEV, '.', {'PETS09-S2L1': os.path.join(REPO, 'dataset', 'mot', 'PETS09',
                                                                             'det_results', 'PETS09-S2L1.txt')})
    assert ours['Frames'] == 399
    peers = next(v for k, v in PEERS.items() if k.startswith('PETS09-S2L1 frames 1-399'))
    peers = {name: peers[name] for name in ('bytetrack', 'ocsort', 'sort')}
    for metric in ('HOTA', 'IDF1'):
        assert ours[metric] > max(p['COMBINED'][metric] for p in peers.values()), metric
    assert ours['MOTA'] > max(p['COMBINED']['MOTA'] for p in peers.values()) - 0.005


def test_recommended_motion_only_config_beats_the_peers_on_mot17_dev(tmp_path):
    seqs = sorted(os.listdir(os.path.join(MOT17_DEV, 'train')))
    ours = eval_motion_only(tmp_path, MOT17_DEV, 'train',
                            {seq: os.path.join(MOT17_DEV, 'train', seq, 'det', 'det.txt') for seq in seqs})
    peers = next(v for k, v in PEERS.items() if k.startswith('MOT17-dev'))
    assert len(peers) == 3  # SORT, ByteTrack, OC-SORT
    for metric in ('HOTA', 'IDF1'):
        assert ours[metric] > max(p['COMBINED'][metric] for p in peers.values()), metric
    assert ours['MOTA'] > max(p['COMBINED']['MOTA'] for p in peers.values()) - 0.005


@pytest.mark.parametrize('variant', sorted(VARIANT_PEERS))
def test_recommended_motion_only_config_beats_the_peers_on_harder_variants(tmp_path, variant):
    """The dev sequences with a moving or shaking camera, at half the frame rate, with a noisier detector, against
    ByteTrack and OC-SORT run on the very same inputs (benchmarks/run_peers.py, score_peers.py)."""
    folders = [make_variant(seq, variant, str(tmp_path / 'variants')) for seq in DEV_SEQUENCES]
    stored = VARIANT_PEERS[variant]
    assert input_hashes(folders) == stored['inputs'], 'the variants changed: run benchmarks/run_peers.py again'
    ours = eval_motion_only(tmp_path, tmp_path / 'variants', variant,
                            {os.path.basename(f): os.path.join(f, 'det', 'det.txt') for f in folders})
    peers = stored['trackers']
    assert sorted(peers) == ['bytetrack', 'ocsort']
    gaps = KNOWN_GAPS.get(variant, {})
    for metric in ('HOTA', 'IDF1'):
        assert ours[metric] > max(p[metric] for p in peers.values()) - gaps.get(metric, 0), metric
    assert ours['MOTA'] > max(p['MOTA'] for p in peers.values()) - 0.005
