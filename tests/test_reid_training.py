"""ReID training on real frames: identity crops of PETS09-S2L1's ground truth (the dev split's frames 1-399 with
the bundled video), P x K batches through ppdet's own reader, the losses, tools/train.py on ppdet's Trainer (loss
going down, checkpoints that track, resuming, --eval, two workers) and tools/eval.py."""

import json
import os
import re
import shutil

import cv2
import numpy as np
import paddle
import pytest
from conftest import DEV, REPO, pets_clip, run_tool

from ppdet.core.workspace import create, load_config, merge_config

from ppdet_deepsort.adapter.identity_crops import MOTIdentityCrops, pk_batches
from ppdet_deepsort.errors import SequenceError
from ppdet_deepsort.reid.losses import batch_hard_triplet_loss
from ppdet_deepsort.adapter.retrieval import query_mask, retrieval_metrics

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

CONFIG = 'configs/mot/deepsort/reid/osnet_x0_25_finetune.yml'
GT = os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt')
VIDEO = os.path.join(DEV, 'PETS09-S2L1', 'PETS09-S2L1.avi')
SHORT = ['TrainDataset.frame_range=[1,40]', 'TrainReader.batch_size=16', 'log_iter=1', 'LearningRate.base_lr=0.0005',
         'EvalDataset.frame_range=[200,260]', 'ReIDClassifier.id_weight=1.0']  # both losses


def pets_crops(**keys):
    dataset = MOTIdentityCrops(os.path.dirname(DEV), os.path.basename(DEV), ['PETS09-S2L1'], **keys)
    dataset.parse_dataset()
    return dataset


def test_crops_are_the_ground_truth_boxes_of_the_frames():
    dataset = pets_crops(frame_range=[1, 20])
    gt = np.loadtxt(GT, delimiter=',')
    rows = gt[(gt[:, 0] <= 20) & (gt[:, 6] != 0)]
    x1, y1 = np.round(np.maximum(rows[:, 2], 0)), np.round(np.maximum(rows[:, 3], 0))
    x2, y2 = np.round(np.minimum(rows[:, 2] + rows[:, 4], 768)), np.round(np.minimum(rows[:, 3] + rows[:, 5], 576))
    kept = (x2 - x1 >= 8) & (y2 - y1 >= 16)
    assert len(dataset) == kept.sum() > 50
    assert dataset.num_identities == len(np.unique(rows[kept, 1]))
    assert sorted(dataset.identities) == sorted('PETS09-S2L1:{}'.format(int(i)) for i in np.unique(rows[kept, 1]))
    np.testing.assert_array_equal(dataset.frames, rows[kept, 0])
    # the first crop is the pixels of the first gt box of frame 1, RGB
    ok, frame = cv2.VideoCapture(VIDEO).read()
    box = [int(v[kept][0]) for v in (x1, y1, x2, y2)]
    expected = cv2.cvtColor(frame[box[1]:box[3], box[0]:box[2]], cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(dataset.crops[0], expected)
    # one label per (sequence, gt id), in the order of the identities
    ids = rows[kept, 1].astype(int)
    assert all(dataset.identities[label] == 'PETS09-S2L1:{}'.format(i) for label, i in zip(dataset.labels, ids))
    strided = pets_crops(frame_range=[1, 20], frame_stride=5)
    assert set(strided.frames.tolist()) == {1, 6, 11, 16}


def test_pk_batches_hold_p_identities_of_k_crops_as_many_every_epoch():
    dataset = pets_crops(frame_range=[1, 60])
    batches = pk_batches(dataset.labels, 16, 4, epoch=0)
    assert len(batches) >= 5
    for batch in batches:
        labels = dataset.labels[batch]
        assert len(batch) == 16 and len(np.unique(labels)) == 4
        assert all((labels == label).sum() == 4 for label in np.unique(labels))
    assert all(np.array_equal(a, b) for a, b in zip(batches, pk_batches(dataset.labels, 16, 4, epoch=0)))
    later = pk_batches(dataset.labels, 16, 4, epoch=1)
    assert len(later) == len(batches) and not all(np.array_equal(a, b) for a, b in zip(batches, later))
    with pytest.raises(ValueError, match='multiple of'):
        pk_batches(dataset.labels, 18, 4, epoch=0)


def test_ppdet_reader_gets_p_by_k_batches_dealt_anew_each_epoch():
    """Through ppdet's own TrainReader (its sampler, its read-ahead thread) and the calls ppdet's Trainer makes:
    every batch holds K crops of each of P identities, and each epoch deals new batches (the reader starts an
    epoch's pass before the Trainer's set_epoch reaches the dataset)."""
    load_config(os.path.join(REPO, CONFIG))
    merge_config({'TrainReader': {'batch_size': 16}})
    dataset = pets_crops(frame_range=[1, 60])
    from ppdet.core.workspace import global_config
    global_config['TrainDataset'] = dataset
    loader = create('TrainReader')(dataset, 0)
    epochs = []
    for epoch in range(3):
        dataset.set_epoch(epoch)
        epochs.append([batch['label'].numpy().ravel() for batch in loader])
    for batches in epochs:
        assert len(batches) == len(epochs[0]) >= 5
        for labels in batches:
            assert len(labels) == 16 and sorted(np.unique(labels, return_counts=True)[1]) == [4] * 4
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
    assert not np.array_equal(np.concatenate(epochs[1]), np.concatenate(epochs[2]))
    assert [np.array_equal(a, dataset.labels[b]) for a, b in zip(epochs[1], pk_batches(dataset.labels, 16, 4, 1))] \
        == [True] * len(epochs[1])
    global_config['TrainReader']['shuffle'] = True
    dataset._order = None
    with pytest.raises(ValueError, match='TrainReader.shuffle: expected false'):
        dataset.parse_dataset()


def test_batch_hard_triplet_loss_picks_the_hardest_pairs():
    features = paddle.to_tensor([[1., 0.], [0.8, 0.6], [0., 1.], [-0.6, 0.8]])
    labels = paddle.to_tensor([0, 0, 1, 1])
    loss, satisfied = batch_hard_triplet_loss(features, labels, margin=0.3)
    f = features.numpy() / np.linalg.norm(features.numpy(), axis=1, keepdims=True)
    d = np.sqrt(np.maximum(2 - 2 * f @ f.T, 1e-12))
    same = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], bool)
    expected = np.maximum(np.where(same, d, 0).max(1) - np.where(same, 9, d).min(1) + 0.3, 0)
    assert float(loss) == pytest.approx(expected.mean(), rel=1e-5)
    assert float(satisfied) == pytest.approx((expected == 0).mean())


def test_retrieval_metrics_match_a_direct_count():
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(6), 12)
    frames = np.tile(np.arange(1, 13) * 3, 6)
    features = rng.normal(size=(6, 16))[labels] + rng.normal(scale=1.2, size=(72, 16))
    queries = query_mask(labels, frames, 9)
    assert queries.sum() == 6 * 4  # frames 3, 12, 21, 30 of each identity
    metrics = retrieval_metrics(features, labels, np.zeros(72, int), frames, queries, exclusion_frames=3)
    f = features / np.linalg.norm(features, axis=1, keepdims=True)
    rank1, aps = [], []
    for q in np.flatnonzero(queries):
        gallery = [g for g in range(72) if g != q and not (labels[g] == labels[q] and abs(frames[g] - frames[q]) <= 3)]
        ranked = sorted(gallery, key=lambda g: 1 - f[q] @ f[g])
        hits = [labels[g] == labels[q] for g in ranked]
        rank1.append(hits[0])
        aps.append(np.mean([sum(hits[:i + 1]) / (i + 1) for i, h in enumerate(hits) if h]))
    assert metrics['rank1'] == pytest.approx(100 * np.mean(rank1))
    assert metrics['mAP'] == pytest.approx(100 * np.mean(aps))
    assert 0 < metrics['mAP'] < 100 and metrics['queries'] == 24


def test_pcb_pyramid_trains_with_resized_heads_and_still_loads_for_tracking(tmp_path):
    """PCB Pyramid's 21 branch classifiers are re-sized for the data; its checkpoint loads into a tracking
    PCBPyramidEmbedding (751-identity heads, as PaddleDetection's weights) and embeds the same."""
    from ppdet_deepsort.adapter.classifier import ReIDClassifier
    from ppdet_deepsort.adapter.pcb_pyramid import PCBPyramidEmbedding
    from ppdet_deepsort.reid.crops import crop_batch
    from ppdet_deepsort.reid.weights import load_state_dict
    dataset = pets_crops(frame_range=[1, 10])
    batch = [i for label in np.unique(dataset.labels)[:3] for i in np.flatnonzero(dataset.labels == label)[:2]]
    crops = np.concatenate([crop_batch(cv2.cvtColor(dataset.crops[i], cv2.COLOR_RGB2BGR),
                                       np.array([[0, 0, dataset.crops[i].shape[1], dataset.crops[i].shape[0]]]),
                                       (64, 192)) for i in batch])
    paddle.seed(0)
    model = ReIDClassifier(PCBPyramidEmbedding('ResNet50'), num_identities=dataset.num_identities)
    assert [head.weight.shape for head in model.embedding.pyramid_fc_list0] == [[128, dataset.num_identities]] * 21
    model.train()
    out = model({'image': paddle.to_tensor(crops), 'label': paddle.to_tensor(dataset.labels[batch])})
    assert np.isfinite(float(out['loss'])) and float(out['id_loss']) > 0
    out['loss'].backward()
    assert model.embedding.pyramid_fc_list0[0].weight.grad is not None
    path = str(tmp_path / 'pcb.pdparams')
    paddle.save(model.state_dict(), path)  # what ppdet's Checkpointer saves
    tracking = PCBPyramidEmbedding('ResNet50')
    load_state_dict(tracking, path)
    model.eval()
    tracking.eval()
    with paddle.no_grad():
        np.testing.assert_allclose(tracking(paddle.to_tensor(crops)).numpy(),
                                   model({'image': paddle.to_tensor(crops)})['embeddings'].numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_bad_datasets_are_named(tmp_path):
    seq = tmp_path / 'root' / 'PETS09-S2L1'
    seq.mkdir(parents=True)
    shutil.copy(os.path.join(DEV, 'PETS09-S2L1', 'seqinfo.ini'), seq)
    keys = ['TrainDataset.dataset_dir={}'.format(tmp_path), 'TrainDataset.data_root=root',
            'save_dir={}'.format(tmp_path / 'out')]
    proc = run_tool('tools/train.py', '-c', CONFIG, '-o', *keys, check=False)
    assert proc.returncode == 1 and 'sequence PETS09-S2L1 has no ground truth' in proc.stdout
    (seq / 'gt').mkdir()
    shutil.copy(GT, seq / 'gt' / 'gt.txt')
    proc = run_tool('tools/train.py', '-c', CONFIG, '-o', *keys, check=False)
    assert proc.returncode == 1 and 'sequence PETS09-S2L1 has no frames' in proc.stdout
    os.symlink(VIDEO, seq / 'PETS09-S2L1.avi')
    gt = np.loadtxt(GT, delimiter=',')
    one = gt[gt[:, 1] == gt[0, 1]]
    np.savetxt(seq / 'gt' / 'gt.txt', one, delimiter=',', fmt='%g')
    proc = run_tool('tools/train.py', '-c', CONFIG, '-o', *keys, check=False)
    assert proc.returncode == 1 and '1 identity in' in proc.stdout and 'at least 2' in proc.stdout
    with pytest.raises(SequenceError, match='no sequences'):
        MOTIdentityCrops(str(tmp_path), 'missing').parse_dataset()


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A short fine-tuning of the bundled OSNet: 2 epochs on frames 1-40, a snapshot after each, --eval."""
    out = tmp_path_factory.mktemp('train')
    proc = run_tool('tools/train.py', '-c', CONFIG, '--eval', '-o', *SHORT, 'epoch=2', 'snapshot_epoch=1',
                    'save_dir={}'.format(out))
    return out / 'osnet_x0_25_finetune', proc.stdout


def logged(stdout, key):
    return [float(v) for v in re.findall(r'\b{}: ([0-9.]+)'.format(key), stdout)]


def test_training_lowers_the_loss_and_saves_snapshots(trained):
    folder, stdout = trained
    id_loss = logged(stdout, 'id_loss')
    assert len(id_loss) >= 8
    assert np.mean(id_loss[-3:]) < np.mean(id_loss[:3])
    assert 'ips:' in stdout and 'eta:' in stdout and 'learning_rate:' in stdout  # ppdet's log line
    assert sorted(os.listdir(folder)) == ['0.pdopt', '0.pdparams', 'best_model.pdopt', 'best_model.pdparams',
                                          'eval_results.json', 'model_final.pdopt', 'model_final.pdparams']
    evaluations = json.loads((folder / 'eval_results.json').read_text())
    assert [e['epoch'] for e in evaluations] == [0, 1]
    assert all(0 < e['rank1'] <= 100 and 0 < e['mAP'] <= 100 and e['queries'] > 10 for e in evaluations)
    bundled = paddle.load(os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams'))
    final = paddle.load(str(folder / 'model_final.pdparams'))
    assert set(final) == set(bundled) | {'classifier.weight', 'classifier.bias'}  # the embedding's keys, and the head
    assert not np.allclose(final['fc.0.weight'].numpy(), bundled['fc.0.weight'].numpy())
    statistics = [k for k in bundled if k.endswith(('_mean', '_variance'))]
    assert len(statistics) > 20  # freeze_bn: the batch norms' statistics are the pretrained ones
    assert all(np.array_equal(final[k].numpy(), bundled[k].numpy()) for k in statistics)


def test_the_checkpoint_tracks_and_evaluates(trained, tmp_path):
    folder, _ = trained
    weights = str(folder / 'model_final.pdparams')
    clip = pets_clip(tmp_path, 30)  # walk.avi and dets/walk.txt: frames 1-30
    data = tmp_path / 'data' / 'walk'
    (data / 'gt').mkdir(parents=True)
    shutil.move(str(clip / 'walk.avi'), data / 'walk.avi')
    (data / 'seqinfo.ini').write_text('[Sequence]\nname=walk\nframeRate=7\nseqLength=30\nimWidth=768\nimHeight=576\n')
    (data / 'gt' / 'gt.txt').write_text(''.join(row for row in open(GT) if int(row.split(',')[0]) <= 30))
    proc = run_tool('tools/eval_mot.py', '-c', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '--det_results_dir',
                    str(clip / 'dets'), '--output_dir', str(tmp_path / 'out'), '-o', 'reid_weights={}'.format(weights),
                    'EvalMOTDataset.dataset_dir={}'.format(tmp_path), 'EvalMOTDataset.data_root=data',
                    'EvalMOTDataset.seqs=[walk]')
    assert 'Loaded reid_weights from {}'.format(weights) in proc.stdout
    metrics = json.loads((tmp_path / 'out' / 'mot_metrics.json').read_text())['metrics']['walk']
    assert metrics['IDF1'] > 0.5 and metrics['MOTA'] > 0.3
    proc = run_tool('tools/eval.py', '-c', CONFIG, '-o', 'weights={}'.format(weights),
                    'EvalDataset.frame_range=[200,260]', '--output_eval', str(tmp_path))
    final = json.loads((tmp_path / 'reid_metrics.json').read_text())
    stored = json.loads((folder / 'eval_results.json').read_text())[-1]
    assert final['rank1'] == pytest.approx(stored['rank1']) and final['mAP'] == pytest.approx(stored['mAP'])


def test_resuming_continues_the_schedule(trained, tmp_path):
    folder, stdout = trained
    proc = run_tool('tools/train.py', '-c', CONFIG, '-r', str(folder / '0'), '-o', *SHORT, 'epoch=2',
                    'snapshot_epoch=1', 'save_dir={}'.format(tmp_path))
    assert 'Finish resuming model weights' in proc.stdout and 'Epoch: [0]' not in proc.stdout
    assert 'Epoch: [1]' in proc.stdout

    def second_epoch_rates(text):
        return [float(v) for v in re.findall(r'Epoch: \[1\] \[ *\d+/\d+\] learning_rate: ([0-9.]+)', text)]
    assert second_epoch_rates(proc.stdout) == second_epoch_rates(stdout) != []


def test_two_workers_train_data_parallel(tmp_path):
    proc = run_tool('-m', 'paddle.distributed.launch', '--nproc_per_node', '2', '--log_dir', str(tmp_path / 'log'),
                    'tools/train.py', '-c', CONFIG, '-o', *SHORT, 'TrainDataset.frame_range=[1,30]', 'epoch=1',
                    'save_dir={}'.format(tmp_path / 'out'))
    log = (tmp_path / 'log' / 'workerlog.0').read_text()
    assert '2 worker(s)' in log and 'Epoch: [0]' in log
    assert (tmp_path / 'out' / 'osnet_x0_25_finetune' / 'model_final.pdparams').exists()
    assert proc.returncode == 0
