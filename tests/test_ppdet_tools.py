"""PaddleDetection's own, unmodified scripts (../shared/PaddleDetection-2.6.0, as tagged v2.6.0) run the plugin's
components, with no import of the plugin but the installed start-up hook: eval_mot.py, infer_mot.py,
export_model.py, train.py and eval.py on real frames and detections, each in a fresh process, their tracks
compared with the project's own tools'."""

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from conftest import DEV, PETS_DET, PETS_SEQ, REPO, default_reid_log, pets_clip, run_tool

pytestmark = pytest.mark.slow  # starts tool processes or runs models at full size

PADDLEDETECTION = os.path.normpath(os.path.join(REPO, '..', 'shared', 'PaddleDetection-2.6.0'))
if not os.path.isdir(os.path.join(PADDLEDETECTION, 'tools')):
    pytest.skip('needs PaddleDetection 2.6.0\'s own tools in {} (a PaddleDetection checkout at tag v2.6.0); CI has '
                'them'.format(PADDLEDETECTION), allow_module_level=True)
if not any(str(f).endswith('ppdet_deepsort_autoload.pth') for f in importlib.metadata.files('ppdet-deepsort') or []):
    pytest.skip('needs the project installed with its start-up hook (pip install -e .)', allow_module_level=True)

MOT17_DEV = os.path.join(DEV, 'MOT17-dev', 'train')
OSNET = os.path.join(REPO, 'weights', 'osnet_x0_25_msmt17.pdparams')


def host(script, *args, check=True, env=None, cwd=REPO):
    """PaddleDetection's ``tools/{script}`` (or another path under its checkout) run as a user runs it."""
    path = os.path.join(PADDLEDETECTION, script if '/' in script else os.path.join('tools', script))
    if env is None:
        return run_tool(path, *args, cwd=cwd, check=check)
    proc = subprocess.run([sys.executable, path] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900, env=dict(os.environ, **env))
    if check and proc.returncode:
        raise AssertionError('{} failed:\n{}'.format(path, proc.stdout[-4000:]))
    return proc


def results(path):
    """A MOT results file as rows sorted by frame and id."""
    rows = np.loadtxt(path, delimiter=',', ndmin=2)
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def assert_same_tracks(a, b, box_tolerance):
    assert len(a) > 20 and a.shape == b.shape
    np.testing.assert_array_equal(a[:, :2], b[:, :2])  # the same ids in the same frames
    np.testing.assert_allclose(a[:, 2:6], b[:, 2:6], atol=box_tolerance)


def config(folder, name, base, body=''):
    path = folder / name
    path.write_text("_BASE_: ['{}']\n{}".format(os.path.join(REPO, base), textwrap.dedent(body)))
    return str(path)


@pytest.fixture(scope='module')
def mot17(tmp_path_factory):
    """MOT17-05 and -09 of the dev split (ground truth, no frames) with their public detections in the seed's 6
    columns and in ppdet's 7, and a motion-only config for them."""
    folder = tmp_path_factory.mktemp('mot17')
    for seq in ('MOT17-05-FRCNN', 'MOT17-09-FRCNN'):
        shutil.copytree(os.path.join(MOT17_DEV, seq), folder / 'train' / seq, ignore=shutil.ignore_patterns('det'))
        rows = np.loadtxt(os.path.join(MOT17_DEV, seq, 'det', 'det.txt'), delimiter=',')  # frame,-1,x,y,w,h,score
        for kind, table in (('dets6', rows[:, [0, 2, 3, 4, 5, 6]]), ('dets7', np.c_[rows[:, [0, 2, 3, 4, 5, 6]],
                                                                                     np.zeros(len(rows))])):
            (folder / kind).mkdir(exist_ok=True)
            np.savetxt(folder / kind / (seq + '.txt'), table, delimiter=',', fmt='%.6g')
    cfg = config(folder, 'motion.yml', 'configs/mot/deepsort/deepsort_motion_only.yml', '''
        EvalMOTDataset:
          !MOTDetResultsDataset
            dataset_dir: {}
            data_root: train
        '''.format(folder))
    return folder, cfg


def test_without_the_hook_ppdet_cannot_read_the_plugin_configs(mot17):
    folder, cfg = mot17
    proc = host('eval_mot.py', '-c', cfg, '--det_results_dir', str(folder / 'dets6'), check=False,
                env={'PPDET_DEEPSORT_AUTOLOAD': '0'})
    assert proc.returncode != 0
    assert "could not determine a constructor for the tag '!MOTDetResultsDataset'" in proc.stdout


def test_the_hook_is_lazy_and_says_when_the_plugin_breaks(tmp_path):
    probe = "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in ('ppdet', 'paddle', " \
            "'ppdet_deepsort')))"
    assert run_tool('-c', probe).stdout.strip() == '[]'  # a start-up that never imports ppdet imports none of it
    assert run_tool('-c', 'import ppdet, sys; print("ppdet_deepsort" in sys.modules)').stdout.split()[-1] == 'True'
    broken = tmp_path / 'ppdet_deepsort'
    broken.mkdir()
    (broken / '__init__.py').write_text('raise ImportError("a broken install")\n')
    proc = subprocess.run([sys.executable, '-c', 'import ppdet; print("ppdet works")'], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    lines = [line for line in proc.stdout.splitlines() if 'ppdet-deepsort' in line]
    assert proc.returncode == 0 and 'ppdet works' in proc.stdout
    assert lines == ["ppdet-deepsort: its components could not be registered in ppdet (ImportError: a broken "
                     "install); set PPDET_DEEPSORT_AUTOLOAD=0 to stop trying"]


def test_wheel_and_installed_file_list_carry_the_hook(tmp_path):
    """pip removes what the installed file list names: the hook goes with an uninstall."""
    assert 'ppdet_deepsort_autoload.pth' in [str(f) for f in importlib.metadata.files('ppdet-deepsort')]
    run_tool('-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp_path), REPO)
    wheel, = tmp_path.glob('ppdet_deepsort-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read(next(n for n in names if n.endswith('.dist-info/RECORD'))).decode()
    assert 'ppdet_deepsort_autoload.pth' in names and 'ppdet_deepsort_autoload.py' in names
    assert 'ppdet_deepsort_autoload.pth,' in record


def test_eval_mot_tracks_saved_detections_of_either_layout_as_the_project_tool(mot17, tmp_path):
    folder, cfg = mot17
    for kind in ('dets6', 'dets7'):
        proc = host('eval_mot.py', '-c', cfg, '--det_results_dir', str(folder / kind), '--output_dir',
                    str(tmp_path / kind))
        assert 'MOTA' in proc.stdout and 'IDF1' in proc.stdout  # ppdet's own metrics table
        assert 'layout frame,x,y,w,h,score' in proc.stdout  # read by the plugin's loader
    run_tool('tools/eval_mot.py', '-c', cfg, '--det_results_dir', str(folder / 'dets6'), '--output_dir',
             str(tmp_path / 'project'))
    for seq in ('MOT17-05-FRCNN', 'MOT17-09-FRCNN'):
        six, seven = (tmp_path / kind / 'mot_results' / (seq + '.txt') for kind in ('dets6', 'dets7'))
        assert six.read_text() == seven.read_text()
        # ppdet's engine clips each detection to the frame before the tracker sees it
        assert_same_tracks(results(six), results(tmp_path / 'project' / 'mot_results' / (seq + '.txt')), 2.)


def test_a_bad_detection_file_is_named_through_ppdet_tool(mot17, tmp_path):
    folder, cfg = mot17
    bad = tmp_path / 'dets'
    shutil.copytree(folder / 'dets6', bad)
    path = bad / 'MOT17-05-FRCNN.txt'
    lines = path.read_text().splitlines()
    lines[2] = '3,10,20,-5,40,0.9'
    path.write_text('\n'.join(lines) + '\n')
    proc = host('eval_mot.py', '-c', cfg, '--det_results_dir', str(bad), '--output_dir', str(tmp_path / 'out'),
                check=False)
    assert proc.returncode != 0
    assert '{}:3: width and height must be > 0'.format(path) in proc.stdout


@pytest.fixture(scope='module')
def pets_sequence(tmp_path_factory):
    """PETS09-S2L1's first 60 frames as a sequence of the bundled layout (a video, ground truth, seqinfo.ini) with
    its detections in the seed's 6 columns, and an OSNet config for it."""
    folder = tmp_path_factory.mktemp('pets')
    clip = pets_clip(folder, 60)
    seq = folder / 'data' / 'walk'
    (seq / 'gt').mkdir(parents=True)
    shutil.move(str(clip / 'walk.avi'), seq / 'walk.avi')
    (seq / 'seqinfo.ini').write_text('[Sequence]\nname=walk\nframeRate=7\nseqLength=60\nimWidth=768\nimHeight=576\n')
    gt = os.path.join(DEV, 'PETS09-S2L1', 'gt', 'gt.txt')
    (seq / 'gt' / 'gt.txt').write_text(''.join(row for row in open(gt) if int(row.split(',')[0]) <= 60))
    rows = np.loadtxt(clip / 'dets' / 'walk.txt', delimiter=',')
    np.savetxt(clip / 'dets' / 'walk.txt', rows[:, [0, 2, 3, 4, 5, 6]], delimiter=',', fmt='%.6g')
    cfg = config(folder, 'osnet.yml', 'configs/mot/deepsort/deepsort_osnet_x0_25.yml', '''
        EvalMOTDataset:
          !MOTDetResultsDataset
            dataset_dir: {}
            data_root: data
        reid_weights: {}
        reid_precision: fp32
        '''.format(folder, OSNET))
    return folder, cfg


def test_eval_mot_with_osnet_on_a_video_sequence_as_the_project_tool(pets_sequence, tmp_path):
    folder, cfg = pets_sequence
    proc = host('eval_mot.py', '-c', cfg, '--det_results_dir', str(folder / 'dets'), '--output_dir',
                str(tmp_path / 'host'))
    assert default_reid_log('OSNetEmbedding') in proc.stdout
    run_tool('tools/eval_mot.py', '-c', cfg, '--det_results_dir', str(folder / 'dets'), '--output_dir',
             str(tmp_path / 'project'))
    assert_same_tracks(results(tmp_path / 'host' / 'mot_results' / 'walk.txt'),
                       results(tmp_path / 'project' / 'mot_results' / 'walk.txt'), 2.)


def test_infer_mot_and_the_exported_reid_model_track_a_video_as_the_project_tools(pets_sequence, tmp_path):
    folder, cfg = pets_sequence
    video = str(folder / 'data' / 'walk' / 'walk.avi')
    common = ['-c', cfg, '--video_file', video, '--det_results_dir', str(folder / 'dets')]
    counting = ['--do_entrance_counting', '--region_type', 'vertical', '--secs_interval', '3']  # PP-Tracking's
    host('infer_mot.py', *common, '--draw_threshold', '0', '--output_dir', str(tmp_path / 'host'))
    run_tool('tools/infer_mot.py', *common, *counting, '--output_dir', str(tmp_path / 'project'))
    project = results(tmp_path / 'project' / 'mot_results' / 'walk.txt')
    assert_same_tracks(results(tmp_path / 'host' / 'mot_results' / 'walk.txt'), project, 2.)
    proc = host('export_model.py', '-c', cfg, '--output_dir', str(tmp_path / 'inference'))
    assert "Exported OSNetEmbedding (input 'crops' [None, 3, 256, 128])" in proc.stdout
    run_tool('deploy/python/mot_sde_infer.py', '--reid_model_dir', str(tmp_path / 'inference' / 'osnet'),
             '--det_results_dir', str(folder / 'dets'), '--video_file', video, '--output_dir', str(tmp_path / 'deploy'),
             *counting)
    assert_same_tracks(results(tmp_path / 'deploy' / 'mot_results' / 'walk.txt'), project, 0.)
    counts = [json.loads((tmp_path / run / 'mot_counts' / 'walk.json').read_text()) for run in ('project', 'deploy')]
    assert counts[0] == counts[1] and counts[0]['secs_interval'] == 3
    assert sum(counts[0]['totals']['entrance'].values()) > 0



def test_two_classes_through_infer_mot_as_the_project_tool(tmp_path):
    """Two classes through PaddleDetection's own infer_mot.py: PETS09's first 60 frames, every detection also given as
    class 1 at the same box, in ppdet's 7-column layout. With ``metric: MCMOT`` ppdet writes each track with its
    class, and the project's tool writes the same file and tables with the same classes: each class tracked as
    alone, so the two classes' tracks are the same boxes under other ids. Too few ``num_classes`` is named."""
    clip = pets_clip(tmp_path, 60)
    rows = np.loadtxt(clip / 'dets' / 'walk.txt', delimiter=',')[:, [0, 2, 3, 4, 5, 6]]
    two = np.r_[np.c_[rows, np.zeros(len(rows))], np.c_[rows, np.ones(len(rows))]]
    np.savetxt(clip / 'dets' / 'walk.txt', two[np.argsort(two[:, 0], kind='stable')], delimiter=',', fmt='%.6g')
    common = ['-c', 'configs/mot/deepsort/deepsort_motion_only.yml', '--video_file', str(clip / 'walk.avi'),
              '--det_results_dir', str(clip / 'dets')]
    host('infer_mot.py', *common, '--draw_threshold', '0', '--output_dir', str(tmp_path / 'host'), '-o',
         'metric=MCMOT', 'num_classes=2')
    run_tool('tools/infer_mot.py', *common, '--output_dir', str(tmp_path / 'project'), '--save_format', 'csv', 'json',
             '-o', 'metric=MCMOT')
    project = results(tmp_path / 'project' / 'mot_results' / 'walk.txt')
    assert_same_tracks(results(tmp_path / 'host' / 'mot_results' / 'walk.txt'), project, 0.01)
    np.testing.assert_array_equal(results(tmp_path / 'host' / 'mot_results' / 'walk.txt')[:, 7], project[:, 7])
    person, copy = (project[project[:, 7] == cls] for cls in (0, 1))
    np.testing.assert_array_equal(person[np.lexsort(person[:, 2:6].T)][:, [0, 2, 3, 4, 5, 6]],
                                  copy[np.lexsort(copy[:, 2:6].T)][:, [0, 2, 3, 4, 5, 6]])
    assert not set(person[:, 1]) & set(copy[:, 1])
    table = np.genfromtxt(tmp_path / 'project' / 'mot_results' / 'walk.csv', delimiter=',', names=True)
    lines = [json.loads(line) for line in open(tmp_path / 'project' / 'mot_results' / 'walk.jsonl')]
    by_id = dict(zip(project[:, 1].astype(int).tolist(), project[:, 7].astype(int).tolist()))
    assert [by_id[int(i)] for i in table['id']] == table['class'].astype(int).tolist()
    assert [by_id[line['id']] for line in lines] == [line['class'] for line in lines]

    proc = host('infer_mot.py', *common, '--output_dir', str(tmp_path / 'few'), '-o', 'metric=MCMOT', check=False)
    assert proc.returncode != 0 and 'num_classes: 1, but the tracker tracked class 1' in proc.stdout


RANDOM_WEIGHTS = """
import sys
import paddle
from ppdet.core.workspace import create, load_config
load_config(sys.argv[1])
paddle.seed(0)
paddle.save(create(sys.argv[2]).state_dict(), sys.argv[3])
"""


def random_weights(folder, cfg, component):
    script = folder / 'random_weights.py'
    script.write_text(RANDOM_WEIGHTS)
    path = folder / (component + '.pdparams')
    run_tool(str(script), cfg, component, str(path))  # the hook registers the plugin's components here too
    return str(path)


SMALL_READER = """
{reader}:
  inputs_def: {{image_shape: [3, 160, 288]}}
  sample_transforms:
    - Decode: {{}}
    - LetterBoxResize: {{target_size: [160, 288]}}
    - NormalizeImage: {{mean: [0, 0, 0], std: [1, 1, 1], is_scale: True}}
    - Permute: {{}}
"""


@pytest.fixture(scope='module')
def random_models(tmp_path_factory):
    """Random weights (no pretrained ones offline) for JDE YOLOv3 at 160x288 and PCB Pyramid ResNet-50, and their
    configs: the detector alone, and detector + ReID reading MOT17 frames of the test data."""
    folder = tmp_path_factory.mktemp('random_models')
    jde = config(folder, 'jde.yml', 'configs/mot/deepsort/jde_yolov3_darknet53_30e_1088x608.yml',
                 SMALL_READER.format(reader='TestReader'))
    pcb = config(folder, 'pcb.yml', 'configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml',
                 'PCBPyramidEmbedding: {model_name: ResNet50}\n')
    detector_reid = config(folder, 'detector_reid.yml', 'configs/mot/deepsort/deepsort_yolov3_pcb_pyramid_r101.yml',
                           textwrap.dedent("""
        PCBPyramidEmbedding: {{model_name: ResNet50}}
        EvalMOTDataset:
          !MOTDetResultsDataset
            dataset_dir: {root}
            data_root: MOT17/train
        det_weights: {det}
        reid_weights: {reid}
        det_score_threshold: 0.0
        FastDeepSORTTracker: {{n_init: 1, max_iou_distance: 1.0}}
        """.format(root=os.path.join(REPO, 'tests', 'data'), det=folder / 'YOLOv3.pdparams',
                   reid=folder / 'PCBPyramidEmbedding.pdparams')) + SMALL_READER.format(reader='EvalMOTReader')
        + SMALL_READER.format(reader='TestMOTReader'))
    return {'jde': jde, 'detector_reid': detector_reid, 'det_weights': random_weights(folder, jde, 'YOLOv3'),
            'reid_weights': random_weights(folder, pcb, 'PCBPyramidEmbedding')}


def test_export_model_exports_the_seed_detector_and_reid_models_that_the_runner_runs(random_models, tmp_path):
    import yaml
    proc = host('export_model.py', '-c', random_models['jde'], '-o', 'weights=' + random_models['det_weights'],
                '--output_dir', str(tmp_path))
    assert "Exported YOLOv3 (input 'image' [None, 3, 160, 288], boxes letterboxed)" in proc.stdout
    infer_cfg = yaml.safe_load((tmp_path / 'jde' / 'infer_cfg.yml').read_text())
    assert infer_cfg['arch'] == 'YOLO' and infer_cfg['label_list'] == ['pedestrian'] and not infer_cfg['scaled']
    assert [step['type'] for step in infer_cfg['Preprocess']] == ['LetterBoxResize', 'NormalizeImage', 'Permute']
    weights = ['reid_weights=' + random_models['reid_weights'], 'det_weights=' + random_models['det_weights']]
    for base in ('deepsort_yolov3_pcb_pyramid_r101.yml', 'deepsort_pcb_pyramid_r101.yml'):
        proc = host('export_model.py', '-c', os.path.join('configs', 'mot', 'deepsort', base), '-o',
                    'PCBPyramidEmbedding.model_name=ResNet50', *weights, 'FastDeepSORTTracker.max_age=30',
                    '--output_dir', str(tmp_path))
        assert "Exported PCBPyramidEmbedding (input 'crops' [None, 3, 192, 64])" in proc.stdout
        infer_cfg = yaml.safe_load((tmp_path / base[:-4] / 'infer_cfg.yml').read_text())
        # the config's own tracker section, not ppdet's DeepSORTTracker defaults
        assert infer_cfg['tracker']['type'] == 'FastDeepSORTTracker' and infer_cfg['tracker']['max_age'] == 30
    frames = os.path.join(REPO, 'tests', 'data', 'MOT17', 'train', 'MOT17-05-FRCNN')
    run_tool('deploy/python/mot_sde_infer.py', '--model_dir', str(tmp_path / 'jde'), '--reid_model_dir',
             str(tmp_path / 'deepsort_pcb_pyramid_r101'), '--image_dir', frames, '--threshold', '0',
             '--output_dir', str(tmp_path / 'deploy'))
    # uncalibrated random weights box the whole frame: one track, confirmed from the third frame on
    tracked = results(tmp_path / 'deploy' / 'mot_results' / 'MOT17-05-FRCNN.txt')
    assert len(tracked) >= 3 and set(tracked[:, 0]) == {3, 4, 5, 6}


def test_eval_and_infer_mot_with_a_detector_config(random_models, tmp_path):
    """The seed's second method (JDE YOLOv3 + PCB Pyramid) through ppdet's eval_mot.py and infer_mot.py, the
    detector run by ppdet's engine on the dataset's frames through the config's reader."""
    cfg = random_models['detector_reid']
    proc = host('eval_mot.py', '-c', cfg, '--output_dir', str(tmp_path / 'eval'))
    assert 'MOTA' in proc.stdout
    for seq in ('MOT17-04-FRCNN', 'MOT17-05-FRCNN', 'MOT17-09-FRCNN'):
        # uncalibrated random weights box the whole frame: one track (n_init 1), from the second frame on
        frames = len(os.listdir(os.path.join(REPO, 'tests', 'data', 'MOT17', 'train', seq, 'img1')))
        tracked = results(tmp_path / 'eval' / 'mot_results' / (seq + '.txt'))
        assert frames >= 4 and set(tracked[:, 0]) == set(range(2, frames + 1))
    frames = os.path.join(REPO, 'tests', 'data', 'MOT17', 'train', 'MOT17-05-FRCNN')
    host('infer_mot.py', '-c', cfg, '--image_dir', frames, '--draw_threshold', '0', '--output_dir',
         str(tmp_path / 'infer'))
    assert (tmp_path / 'infer' / 'mot_results' / 'MOT17-05-FRCNN.txt').read_text() == (
        tmp_path / 'eval' / 'mot_results' / 'MOT17-05-FRCNN.txt').read_text()


@pytest.fixture(scope='module')
def pets_frames(tmp_path_factory):
    """PETS09-S2L1's first 40 frames as JPEGs where ppdet's own configs look (dataset/mot/MOT16/images/train),
    with their detections in ppdet's 7 columns."""
    import cv2
    folder = tmp_path_factory.mktemp('ppdet_layout')
    seq = folder / 'dataset' / 'mot' / 'MOT16' / 'images' / 'train' / 'PETS09-S2L1'
    (seq / 'img1').mkdir(parents=True)
    capture = cv2.VideoCapture(os.path.join(PETS_SEQ, 'PETS09-S2L1.avi'))
    for frame in range(1, 41):
        cv2.imwrite(str(seq / 'img1' / '{:06d}.jpg'.format(frame)), capture.read()[1])
    (seq / 'seqinfo.ini').write_text('[Sequence]\nname=PETS09-S2L1\nimDir=img1\nframeRate=7\nseqLength=40\n'
                                     'imWidth=768\nimHeight=576\nimExt=.jpg\n')
    rows = np.loadtxt(PETS_DET, delimiter=',')
    rows = rows[rows[:, 0] <= 40]
    (folder / 'dets').mkdir()
    np.savetxt(folder / 'dets' / 'PETS09-S2L1.txt', np.c_[rows[:, [0, 2, 3, 4, 5, 6]], np.zeros(len(rows))],
               delimiter=',', fmt='%.6g')
    return folder


def test_ppdet_own_deepsort_config_takes_the_plugin_components_with_ppdet_results(pets_frames, random_models,
                                                                                   tmp_path):
    """ppdet 2.6's configs/mot/deepsort/reid/deepsort_pcb_pyramid_r101.yml with -o DeepSORT.tracker=FastDeepSORTTracker
    (ppdet_compat) and DeepSORT.reid=PCBPyramidEmbedding: ppdet's own results file."""
    weights = random_models['reid_weights']
    common = ['-c', os.path.join(PADDLEDETECTION, 'configs', 'mot', 'deepsort', 'reid',
                                 'deepsort_pcb_pyramid_r101.yml'),
              '--det_results_dir', 'dets', '-o', 'use_gpu=false', 'reid_weights=' + weights,
              'PCBPyramid.model_name=ResNet50', 'PCBPyramidEmbedding.model_name=ResNet50']
    host('eval_mot.py', *common, '--output_dir', str(tmp_path / 'builtin'), cwd=str(pets_frames))
    host('eval_mot.py', *common, 'DeepSORT.tracker=FastDeepSORTTracker', 'FastDeepSORTTracker.ppdet_compat=true',
         'DeepSORT.reid=PCBPyramidEmbedding', '--output_dir', str(tmp_path / 'plugin'), cwd=str(pets_frames))
    builtin, plugin = (tmp_path / kind / 'mot_results' / 'PETS09-S2L1.txt' for kind in ('builtin', 'plugin'))
    assert builtin.read_text().count('\n') > 50
    assert plugin.read_text() == builtin.read_text()


OTHER_PPDET = """
import runpy, sys
import ppdet
ppdet.__version__ = '2.7.0'  # as another ppdet release would report
import ppdet_deepsort.adapter
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
"""


def test_ppdet_own_config_runs_as_ppdet_alone_where_the_engine_changes_do_not_fit(pets_frames, random_models,
                                                                                   tmp_path):
    """Under another ppdet release the plugin registers its components but changes nothing in ppdet's engine (one
    line per change says so), and PaddleDetection's eval_mot.py runs ppdet's own DeepSORT config as ppdet alone."""
    common = ['-c', os.path.join(PADDLEDETECTION, 'configs', 'mot', 'deepsort', 'reid',
                                 'deepsort_pcb_pyramid_r101.yml'),
              '--det_results_dir', 'dets', '-o', 'use_gpu=false', 'reid_weights=' + random_models['reid_weights'],
              'PCBPyramid.model_name=ResNet50']
    off = {'PPDET_DEEPSORT_AUTOLOAD': '0'}
    host('eval_mot.py', *common, '--output_dir', str(tmp_path / 'alone'), cwd=str(pets_frames), env=off)
    wrapper = tmp_path / 'other_ppdet.py'
    wrapper.write_text(OTHER_PPDET)
    proc = subprocess.run([sys.executable, str(wrapper), os.path.join(PADDLEDETECTION, 'tools', 'eval_mot.py'),
                           *common, '--output_dir', str(tmp_path / 'fenced')], cwd=str(pets_frames),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
                          env=dict(os.environ, **off))
    assert proc.returncode == 0, proc.stdout[-3000:]
    from ppdet_deepsort.adapter.engine_changes import CHANGES
    assert proc.stdout.count('ppdet-deepsort: not changing') == len(CHANGES) == 9
    assert 'not changing Tracker._eval_seq_sde of ppdet 2.7.0 (' in proc.stdout
    alone, fenced = (tmp_path / kind / 'mot_results' / 'PETS09-S2L1.txt' for kind in ('alone', 'fenced'))
    assert alone.read_text().count('\n') > 50 and fenced.read_text() == alone.read_text()


TRAIN = """
TrainDataset: !MOTIdentityCrops
  dataset_dir: {root}
  data_root: dev
  seqs: [PETS09-S2L1]
  frame_range: [1, 30]
EvalDataset: !MOTIdentityCrops
  dataset_dir: {root}
  data_root: dev
  seqs: [PETS09-S2L1]
  frame_range: [200, 240]
pretrain_weights: {weights}
"""


def test_train_resume_and_eval_with_ppdet_tools(tmp_path):
    cfg = config(tmp_path, 'finetune.yml', 'configs/mot/deepsort/reid/osnet_x0_25_finetune.yml',
                 TRAIN.format(root=os.path.dirname(DEV), weights=OSNET))
    short = ['TrainReader.batch_size=16', 'log_iter=1', 'epoch=2', 'snapshot_epoch=1']
    proc = host('train.py', '-c', cfg, '--eval', '-o', *short, 'save_dir={}'.format(tmp_path / 'out'))
    assert 'batches of 4 identities x 4 crops' in proc.stdout and 'triplet_loss:' in proc.stdout
    assert 'ReID on EvalDataset: rank-1' in proc.stdout and 'Epoch: [1]' in proc.stdout
    folder = tmp_path / 'out' / 'finetune'
    assert {'0.pdparams', '0.pdopt', 'model_final.pdparams', 'best_model.pdparams', 'eval_results.json'} <= set(
        os.listdir(folder))
    resumed = host('train.py', '-c', cfg, '-r', str(folder / '0'), '-o', *short, 'save_dir={}'.format(tmp_path / 'res'))
    assert 'Epoch: [0]' not in resumed.stdout and 'Epoch: [1]' in resumed.stdout

    def rates(text):
        return [line.split('learning_rate: ')[1].split()[0] for line in text.splitlines() if 'Epoch: [1]' in line]
    assert rates(resumed.stdout) == rates(proc.stdout) != []
    host('eval.py', '-c', cfg, '-o', 'weights={}'.format(folder / 'model_final'), '--output_eval', str(tmp_path))
    import json
    final = json.loads((tmp_path / 'reid_metrics.json').read_text())
    stored = json.loads((folder / 'eval_results.json').read_text())[-1]
    assert final['mAP'] == pytest.approx(stored['mAP']) and final['queries'] == stored['queries'] > 5
