"""The tools' result files on the dev split, as digests: what a change that keeps behaviour must keep byte for byte.

    python tests/reference_runs.py OUT.json     # writes the digests of this checkout's runs

``tests/data/reference_digests.json`` holds them as the commit before the core / adapter redesign (issue 28) wrote
them; ``test_unchanged_results.py`` runs the same commands and compares. Each run is a command a user types:
the motion-only and the OSNet configs (both recommended), ``ppdet_compat``, a resumed run, the exported runner, and
PaddleDetection's own eval_mot.py. The runs with OSNet name the settings that were the defaults then
(:data:`THEN`: paddle.inference, every detection embedded) since the defaults chose otherwise later (issue 29), so
that they still guard everything else byte for byte; so do the motion-only runs with that config's keys before
issue 30 re-chose them (:data:`MOTION_THEN`).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = os.path.join(REPO, 'tests', 'data', 'dev')
MOT17_DEV = os.path.join(DEV, 'MOT17-dev')
PETS_DETS = os.path.join(REPO, 'dataset', 'mot', 'PETS09', 'det_results')
PETS_VIDEO = os.path.join(DEV, 'PETS09-S2L1', 'PETS09-S2L1.avi')
PADDLEDETECTION = os.path.normpath(os.path.join(REPO, '..', 'shared', 'PaddleDetection-2.6.0'))
MOTION = 'configs/mot/deepsort/deepsort_motion_only.yml'
OSNET = 'configs/mot/deepsort/deepsort_osnet_x0_25.yml'
PETS_DEV = ['-o', 'EvalMOTDataset.dataset_dir={}'.format(DEV), 'EvalMOTDataset.data_root=.',
            'EvalMOTDataset.seqs=[PETS09-S2L1]']
THEN = ['reid_backend=inference', 'FastDeepSORTTracker.reid_policy=always']  # -o: the defaults of 7c7c6d4
# The motion-only config's tracker keys before issue 30 re-chose them.
MOTION_THEN = {'nsa': True, 'camera_motion': 'none', 'reference_fps': 0, 'high_score_threshold': 0,
               'low_score_threshold': 0, 'new_track_threshold': 0, 'score_boost': False}
MOTION_THEN_ARGS = ['FastDeepSORTTracker.{}={}'.format(k, v) for k, v in MOTION_THEN.items()]


def _run(*args):
    proc = subprocess.run([sys.executable] + [str(a) for a in args], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1800)
    if proc.returncode:
        raise AssertionError('{} failed ({}):\n{}'.format(' '.join(map(str, args)), proc.returncode,
                                                           proc.stdout[-4000:]))
    return proc.stdout


def _digests(folder):
    """{file name: sha256} of every MOT result file in ``folder``."""
    return {name: hashlib.sha256(open(os.path.join(folder, name), 'rb').read()).hexdigest()
            for name in sorted(os.listdir(folder)) if name.endswith('.txt')}


def _mot17_dets(tmp):
    dets = os.path.join(tmp, 'mot17_dets')
    os.makedirs(dets, exist_ok=True)
    for seq in sorted(os.listdir(os.path.join(MOT17_DEV, 'train'))):
        shutil.copy(os.path.join(MOT17_DEV, 'train', seq, 'det', 'det.txt'), os.path.join(dets, seq + '.txt'))
    return dets


def _config(tmp, name, base, body):
    """A config ``tmp/name`` that ``_BASE_``s ``base`` (a path in the repository) and sets ``body`` (YAML)."""
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write("_BASE_: ['{}']\n{}".format(os.path.join(REPO, base), textwrap.dedent(body)))
    return path


def _eval(tmp, name, config, dets, *extra):
    out = os.path.join(tmp, name)
    _run('tools/eval_mot.py', '-c', config, '--det_results_dir', dets, '--output_dir', out, *extra)
    return out


def motion_only_mot17_dev(tmp):
    out = _eval(tmp, 'motion', MOTION, _mot17_dets(tmp), '-o', 'EvalMOTDataset.dataset_dir={}'.format(MOT17_DEV),
                'EvalMOTDataset.data_root=train', *MOTION_THEN_ARGS)
    return _digests(os.path.join(out, 'mot_results'))


def resumed_motion_only_mot17_dev(tmp):
    """The motion-only run stopped after two sequences (two result files and manifests removed), then resumed."""
    args = ['-o', 'EvalMOTDataset.dataset_dir={}'.format(MOT17_DEV), 'EvalMOTDataset.data_root=train',
            *MOTION_THEN_ARGS]
    out = _eval(tmp, 'resumed', MOTION, _mot17_dets(tmp), *args)
    for seq in ('MOT17-04-FRCNN', 'MOT17-09-FRCNN'):
        os.remove(os.path.join(out, 'mot_results', seq + '.txt'))
        os.remove(os.path.join(out, 'mot_manifests', seq + '.json'))
    _eval(tmp, 'resumed', MOTION, _mot17_dets(tmp), '--resume', *args)
    return _digests(os.path.join(out, 'mot_results'))


def osnet_pets09(tmp):
    out = _eval(tmp, 'osnet', OSNET, PETS_DETS, *PETS_DEV, *THEN)
    return _digests(os.path.join(out, 'mot_results'))


def ppdet_compat_pets09(tmp):
    """ppdet's DeepSORTTracker settings with ppdet_compat (its boxes, crops and rounding), OSNet embeddings."""
    config = _config(tmp, 'compat.yml', 'configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml', '''
        DeepSORT:
          reid: OSNetEmbedding
        OSNetEmbedding:
          model_name: osnet_x0_25
          feature_dim: 512
        reid_weights: {}
        FastDeepSORTTracker:
          input_size: [128, 256]
          ppdet_compat: true
        '''.format(os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams')))
    out = _eval(tmp, 'compat', config, PETS_DETS, *PETS_DEV, THEN[0])
    return _digests(os.path.join(out, 'mot_results'))


def exported_runner_pets09(tmp):
    export = os.path.join(tmp, 'inference')
    _run('tools/export_model.py', '-c', OSNET, '--output_dir', export, '-o', THEN[1])
    out = os.path.join(tmp, 'deploy')
    _run('deploy/python/mot_sde_infer.py', '--reid_model_dir', os.path.join(export, 'deepsort_osnet_x0_25'),
         '--det_results_dir', PETS_DETS, '--video_file', PETS_VIDEO, '--output_dir', out, '--save_mot_txts',
         '--backend', 'paddle')
    return _digests(os.path.join(out, 'mot_results'))


def paddledetection_eval_mot_motion_only(tmp):
    """PaddleDetection's own tools/eval_mot.py, through the installed start-up hook, on the motion-only config."""
    config = _config(tmp, 'ppdet_motion.yml', MOTION, '''
        EvalMOTDataset:
          !MOTDetResultsDataset
            dataset_dir: {}
            data_root: train
        FastDeepSORTTracker: {}
        '''.format(MOT17_DEV, json.dumps(MOTION_THEN)))
    out = os.path.join(tmp, 'ppdet_motion')
    _run(os.path.join(PADDLEDETECTION, 'tools', 'eval_mot.py'), '-c', config, '--det_results_dir', _mot17_dets(tmp),
         '--output_dir', out)
    return _digests(os.path.join(out, 'mot_results'))


RUNS = [motion_only_mot17_dev, resumed_motion_only_mot17_dev, osnet_pets09, ppdet_compat_pets09,
        exported_runner_pets09, paddledetection_eval_mot_motion_only]


def run(name, tmp):
    """The digests of run ``name`` (a function above), made in the empty folder ``tmp``."""
    os.makedirs(tmp, exist_ok=True)
    return next(r for r in RUNS if r.__name__ == name)(tmp)


if __name__ == '__main__':
    digests = {}
    with tempfile.TemporaryDirectory() as tmp:
        for reference in RUNS:
            digests[reference.__name__] = run(reference.__name__, os.path.join(tmp, reference.__name__))
            print(reference.__name__, digests[reference.__name__], flush=True)
    with open(sys.argv[1], 'w') as f:
        json.dump(digests, f, indent=1, sort_keys=True)
        f.write('\n')
