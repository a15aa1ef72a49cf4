"""The recommended motion-only config, run as a user runs it, on the dev split's MOT17 sequences: it must stay
ahead of every peer tracker there (tests/data/dev/peers) on HOTA and IDF1, and not fall behind on MOTA."""

import json
import os

from conftest import DEV, run_tool

MOT17_DEV = os.path.join(DEV, 'MOT17-dev')
PEERS = json.load(open(os.path.join(DEV, 'peers', 'trackeval_metrics.json')))


def test_recommended_motion_only_config_beats_the_peers_on_mot17_dev(tmp_path):
    dets = tmp_path / 'dets'
    dets.mkdir()
    seqs = sorted(os.listdir(os.path.join(MOT17_DEV, 'train')))
    for seq in seqs:
        (dets / (seq + '.txt')).symlink_to(os.path.join(MOT17_DEV, 'train', seq, 'det', 'det.txt'))
    out = tmp_path / 'out'
    run_tool('tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--det_results_dir',
             str(dets), '--output_dir', str(out), '-o', 'EvalMOTDataset.dataset_dir={}'.format(MOT17_DEV),
             'EvalMOTDataset.data_root=train')
    ours = json.loads((out / 'mot_metrics.json').read_text())['metrics']['OVERALL']
    peers = next(v for k, v in PEERS.items() if k.startswith('MOT17-dev'))
    assert len(peers) == 3  # SORT, ByteTrack, OC-SORT
    for metric in ('HOTA', 'IDF1'):
        assert ours[metric] > max(p['COMBINED'][metric] for p in peers.values()), metric
    assert ours['MOTA'] > max(p['COMBINED']['MOTA'] for p in peers.values()) - 0.005
