"""Export a model for paddle.inference: PaddleDetection's tools/export_model.py for the plugin's configs,
working on paddle 3.x (where ppdet 2.6's Trainer.export fails).

    python tools/export_model.py -c configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml \
        -o reid_weights=deepsort_pcb_pyramid_r101.pdparams [--output_dir output_inference]
    python tools/export_model.py -c configs/mot/deepsort/jde_yolov3_darknet53_30e_1088x608.yml -o weights=PATH

Writes {output_dir}/{config name}/model.json (model.pdmodel on paddle 2), model.pdiparams and infer_cfg.yml.
A DeepSORT config exports its ReID model (input 'crops', [None, 3, h, w] from the tracker's input_size
[w, h]; infer_cfg.yml holds the crop preprocessing and the complete tracker block); a detector config
exports the detector (inputs 'image' and what its post-process reads; infer_cfg.yml holds its
preprocessing, whether its boxes are scaled, and the detection filter).
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort  # noqa: E402,F401
import paddle  # noqa: E402
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.deploy import write_detector_infer_cfg, write_reid_infer_cfg  # noqa: E402
from ppdet_deepsort.deploy.export import export_detector, export_reid  # noqa: E402
from ppdet_deepsort.deploy.predictor import create_predictor, model_files  # noqa: E402
from ppdet_deepsort.engine.detector import input_shape, load_detector  # noqa: E402
from ppdet_deepsort.reid.crops import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from ppdet_deepsort.reid.embedder import load_reid  # noqa: E402
from ppdet_deepsort.utils.cli import ArgsParser, add_scaled_flag, load_cfg, prepare_output_dir, run_tool  # noqa: E402
from ppdet_deepsort.utils.config import ConfigError, build  # noqa: E402

logger = setup_logger('export_model')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('--output_dir', type=str, default='output_inference',
                        help='Folder for the exported model (a sub-folder named after the config).')
    add_scaled_flag(parser)
    return parser.parse_args()


def export_reid_config(cfg, out):
    reid_name = cfg['DeepSORT'].get('reid')
    if reid_name in (None, 'None'):
        raise ConfigError("DeepSORT.reid is None: this config has no ReID model to export (export a detector from "
                          "its own config, e.g. jde_yolov3_darknet53_30e_1088x608.yml)")
    tracker = build(cfg['DeepSORT'].get('tracker'), 'DeepSORT.tracker')
    layer = load_reid(cfg)
    export_reid(layer, tracker.input_size, out)
    write_reid_infer_cfg(out, reid_name, tracker, IMAGENET_MEAN, IMAGENET_STD)
    return "{} (input 'crops' [None, 3, {}, {}])".format(reid_name, tracker.input_size[1], tracker.input_size[0])


def export_detector_config(cfg, out, scaled_flag):
    name = cfg['architecture']
    reader = cfg.get('TestReader') or cfg.get('TestMOTReader')
    if not isinstance(reader, dict) or 'sample_transforms' not in reader:
        raise ConfigError("TestReader: the detector's sample_transforms are needed for its infer_cfg.yml")
    layer, scaled, threshold, class_ids = load_detector(cfg, 'architecture', 'weights', scaled_flag)
    shape = input_shape(reader)
    export_detector(layer, shape, out)
    write_detector_infer_cfg(out, name, reader['sample_transforms'], scaled, threshold, class_ids)
    return "{} (input 'image' [None, {}, {}, {}], boxes {})".format(name, *shape, 'rescaled' if scaled else
                                                                    'letterboxed')


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt)
    out = os.path.join(FLAGS.output_dir, os.path.splitext(os.path.basename(FLAGS.config))[0])
    prepare_output_dir(FLAGS.output_dir)
    # Export into a scratch folder and move it into place only once paddle.inference can load it.
    with tempfile.TemporaryDirectory(dir=FLAGS.output_dir, prefix='.export_') as scratch:
        if cfg.get('architecture') == 'DeepSORT' and isinstance(cfg.get('DeepSORT'), dict):
            what = export_reid_config(cfg, scratch)
        else:
            what = export_detector_config(cfg, scratch, FLAGS.scaled)
        try:  # paddle 3.3 writes some control flow (e.g. PP-YOLOE's post-process) that it cannot read back
            create_predictor(scratch, mkldnn=False)
        except RuntimeError as e:
            raise ConfigError("the exported model cannot be loaded by paddle.inference on paddle {} ({}); run this "
                              "detector from its config with tools/infer_mot.py instead".format(
                                  paddle.__version__, str(e).strip().splitlines()[0])) from None
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.rename(scratch, out)
        os.chmod(out, 0o755)  # TemporaryDirectory made it private
        os.makedirs(scratch)  # for the TemporaryDirectory cleanup
    program, params = model_files(out)
    logger.info("Exported {} to {}: {}, {}, infer_cfg.yml".format(what, out, os.path.basename(program),
                                                                  os.path.basename(params)))


if __name__ == '__main__':
    run_tool(main)
