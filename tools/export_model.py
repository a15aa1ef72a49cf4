"""Export a model for paddle.inference: PaddleDetection's tools/export_model.py for the plugin's configs,
working on paddle 3.x (where ppdet 2.6's Trainer.export fails).

    python tools/export_model.py -c configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml \
        -o reid_weights=deepsort_pcb_pyramid_r101.pdparams [--output_dir output_inference]
    python tools/export_model.py -c configs/mot/deepsort/jde_yolov3_darknet53_30e_1088x608.yml -o weights=PATH

Writes {output_dir}/{config name}/model.json (model.pdmodel on paddle 2), model.pdiparams and infer_cfg.yml, and
with --onnx model.onnx (paddle2onnx, opset 17, with the conversion fixes the tools apply).
A DeepSORT config exports its ReID model (input 'crops', [None, 3, h, w] from the tracker's input_size
[w, h]; infer_cfg.yml holds the crop preprocessing and the complete tracker block); a detector config
exports the detector (inputs 'image' and what its post-process reads; infer_cfg.yml holds its
preprocessing, whether its boxes are scaled, and the detection filter).
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.adapter.exporter import export_model, exports_reid  # noqa: E402
from ppdet_deepsort.adapter.builders import load_detector  # noqa: E402
from ppdet_deepsort.adapter.builders import load_reid  # noqa: E402
from ppdet_deepsort.adapter.cli import ArgsParser, add_scaled_flag, load_cfg, prepare_output_dir, run_tool  # noqa: E402

logger = setup_logger('export_model')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('--output_dir', type=str, default='output_inference',
                        help='Folder for the exported model (a sub-folder named after the config).')
    parser.add_argument('--onnx', action='store_true',
                        help='Also write model.onnx beside the paddle model (converted with paddle2onnx as the tools '
                             "convert it for reid_backend: onnxruntime), for ONNX Runtime or another ONNX runtime.")
    add_scaled_flag(parser)
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt)
    prepare_output_dir(FLAGS.output_dir)
    if exports_reid(cfg):
        layer = load_reid(cfg) if cfg['DeepSORT'].get('reid') not in (None, 'None') else None
    else:
        layer = load_detector(cfg, 'architecture', 'weights')[0]
    export_model(cfg, layer, os.path.join(FLAGS.output_dir, os.path.splitext(os.path.basename(FLAGS.config))[0]),
                 FLAGS.scaled, FLAGS.onnx)


if __name__ == '__main__':
    run_tool(main)
