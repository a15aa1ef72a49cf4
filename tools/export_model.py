"""Export a model for paddle.inference: PaddleDetection's tools/export_model.py for the plugin's configs,
working on paddle 3.x (where ppdet 2.6's Trainer.export fails).

    python tools/export_model.py -c configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml \
        -o reid_weights=deepsort_pcb_pyramid_r101.pdparams [--output_dir output_inference]

For a DeepSORT config it exports the ReID model: {output_dir}/{config name}/model.json (model.pdmodel on
paddle 2), model.pdiparams and infer_cfg.yml (crop preprocessing and the complete tracker block). The
input is named 'crops', shape [None, 3, h, w] from the tracker's input_size [w, h].
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort  # noqa: E402,F401
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.deploy import write_reid_infer_cfg  # noqa: E402
from ppdet_deepsort.reid.crops import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from ppdet_deepsort.reid.export import export_reid  # noqa: E402
from ppdet_deepsort.reid.predictor import model_files  # noqa: E402
from ppdet_deepsort.reid.weights import load_state_dict  # noqa: E402
from ppdet_deepsort.utils.cli import ArgsParser, load_cfg, prepare_output_dir, run_tool  # noqa: E402
from ppdet_deepsort.utils.config import ConfigError, build  # noqa: E402

logger = setup_logger('export_model')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('--output_dir', type=str, default='output_inference',
                        help='Folder for the exported model (a sub-folder named after the config).')
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt)
    if cfg.get('architecture') != 'DeepSORT' or not isinstance(cfg.get('DeepSORT'), dict):
        raise ConfigError("architecture: expected DeepSORT (export of the ReID model), got {!r}".format(
            cfg.get('architecture')))
    reid_name = cfg['DeepSORT'].get('reid')
    if reid_name in (None, 'None'):
        raise ConfigError("DeepSORT.reid is None: this config has no ReID model to export")
    tracker = build(cfg['DeepSORT'].get('tracker'), 'DeepSORT.tracker')
    layer = build(reid_name, 'DeepSORT.reid')
    load_state_dict(layer, cfg.get('reid_weights'), 'reid_weights')
    out = os.path.join(FLAGS.output_dir, os.path.splitext(os.path.basename(FLAGS.config))[0])
    prepare_output_dir(out)
    export_reid(layer, tracker.input_size, out)
    write_reid_infer_cfg(out, reid_name, tracker, IMAGENET_MEAN, IMAGENET_STD)
    program, params = model_files(out)
    logger.info("Exported {} (input 'crops' [None, 3, {}, {}]) to {}: {}, {}, infer_cfg.yml".format(
        reid_name, tracker.input_size[1], tracker.input_size[0], out, os.path.basename(program),
        os.path.basename(params)))


if __name__ == '__main__':
    run_tool(main)
