"""Track with exported models only (ONNX Runtime or paddle.inference, --backend): PaddleDetection's
deploy/python/mot_sde_infer.py for the plugin.

    python deploy/python/mot_sde_infer.py --reid_model_dir=output_inference/deepsort_pcb_pyramid_r101 \
        --det_results_dir=DIR --video_file=X.mp4 [--device=CPU] [--save_mot_txts] [--save_images]
    python deploy/python/mot_sde_infer.py --reid_model_dir=... --det_results_dir=DIR --image_dir=FRAMES
    python deploy/python/mot_sde_infer.py --model_dir=output_inference/jde_yolov3_darknet53_30e_1088x608 \
        --reid_model_dir=... --video_file=X.mp4 --device=CPU

Every tracker key comes from the ReID model's infer_cfg.yml (written by tools/export_model.py). Detections
come from the exported detector (--model_dir, with its own infer_cfg.yml) or, for X.mp4 (or FRAMES/), from
DIR/X.txt (DIR/FRAMES.txt). Results go to
{output_dir}/mot_results/X.txt; for a video the annotated video is saved as well, as PaddleDetection does.
"""

import argparse
import ast
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.adapter.cli import (add_counting_flags, add_resume_flag, add_save_format_flag, add_scaled_flag,  # noqa: E402
                                        counting_flags, prepare_output_dir, run_tool)
from ppdet_deepsort.adapter.spec import REGISTRY, deploy_runtime, exported_run_spec  # noqa: E402
from ppdet_deepsort.engine.models import runner_for  # noqa: E402
from ppdet_deepsort.engine.spec import Counting, Sources  # noqa: E402
from ppdet_deepsort.errors import ConfigError  # noqa: E402

logger = setup_logger('mot_sde_infer')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model_dir', type=str, default=None,
                        help='Exported detector with infer_cfg.yml (instead of --det_results_dir).')
    parser.add_argument('--reid_model_dir', type=str, required=True, help='Exported ReID model with infer_cfg.yml.')
    parser.add_argument('--det_results_dir', type=str, default='', help='Folder of {video or folder name}.txt.')
    parser.add_argument('--video_file', type=str, nargs='+', default=None,
                        help='Videos to track (shared among the workers of python -m paddle.distributed.launch), or '
                             'live streams (rtsp://..., http://...), tracked until Ctrl-C or SIGTERM.')
    parser.add_argument('--camera_id', type=int, default=-1, help='Camera (device index) to track live; -1: none.')
    parser.add_argument('--reconnect_tries', type=int, default=3,
                        help='A live stream or camera that stops sending is reconnected this many times in a row '
                             'before it counts as ended.')
    parser.add_argument('--image_dir', type=str, default=None, help='Folder of frames to track.')
    parser.add_argument('--frame_rate', type=int, default=-1, help='Frame rate of the output video (-1: input\'s).')
    parser.add_argument('--device', type=str, default='CPU', help='CPU or GPU.')
    parser.add_argument('--run_mode', type=str, default='paddle', choices=['paddle', 'trt_fp32', 'trt_fp16'],
                        help='paddle, or TensorRT for the detector on the GPU (the ReID model runs with paddle).')
    parser.add_argument('--backend', type=str, default='auto', choices=['auto', 'onnxruntime', 'paddle'],
                        help='CPU runtime of both models: onnxruntime (converted with paddle2onnx, cached, checked '
                             'against paddle fp32 on the first input), paddle (paddle.inference), or auto: '
                             'onnxruntime on the CPU, paddle on the GPU or with --enable_mkldnn_bfloat16.')
    parser.add_argument('--reid_precision', type=str, default='fp32', choices=['fp32', 'int8'],
                        help='int8: the ReID model quantized on ONNX Runtime, kept if it agrees with fp32 on the '
                             'first batch; faster, but it cost the dev split 1.1 HOTA (README).')
    parser.add_argument('--cpu_threads', type=int, default=0,
                        help="Math library threads; 0 uses every core (shared among the launcher's workers).")
    parser.add_argument('--enable_mkldnn', type=ast.literal_eval, default=True, help='Use oneDNN on the CPU.')
    parser.add_argument('--enable_mkldnn_bfloat16', type=ast.literal_eval, default=False,
                        help='bfloat16 on CPUs with native support (AVX512-BF16/AMX); the detector keeps it only '
                             'if its boxes on the first frame agree with fp32.')
    parser.add_argument('--output_dir', type=str, default='output', help='Folder for the results.')
    add_resume_flag(parser)
    parser.add_argument('--save_images', action='store_true', help='Save annotated frames.')
    parser.add_argument('--save_mot_txts', action='store_true',
                        help='Kept for PaddleDetection compatibility: the MOT results file is always written.')
    parser.add_argument('--draw_threshold', type=float, default=0.5, help='Tracks scoring below this are not drawn.')
    parser.add_argument('--threshold', type=float, default=None,
                        help="Detections scoring below this are not tracked (default: the detector's "
                             "det_score_threshold in infer_cfg.yml).")
    parser.add_argument('--skip_frame_num', type=int, default=-1,
                        help="PP-Tracking's flag: detect on every this many frames (> 1), the tracks predicted on the "
                             "frames between (PP-Tracking reuses the last detections there); -1 detects on every "
                             "frame.")
    add_scaled_flag(parser)
    add_counting_flags(parser)
    add_save_format_flag(parser)
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    if bool(FLAGS.model_dir) == bool(FLAGS.det_results_dir):
        raise ConfigError('give exactly one of --model_dir (an exported detector) and --det_results_dir (saved '
                          'detections, {video or folder name}.txt)')
    if sum((FLAGS.video_file is not None, FLAGS.image_dir is not None, FLAGS.camera_id >= 0)) != 1:
        raise ConfigError('give exactly one of --video_file, --image_dir and --camera_id')
    options = deploy_runtime(FLAGS.device, FLAGS.backend, FLAGS.run_mode, FLAGS.reid_precision,
                             FLAGS.enable_mkldnn_bfloat16, FLAGS.cpu_threads)
    sources = Sources(tuple(FLAGS.video_file or ()), FLAGS.camera_id if FLAGS.camera_id >= 0 else None,
                      FLAGS.image_dir, FLAGS.frame_rate)
    spec = exported_run_spec(FLAGS.reid_model_dir, FLAGS.model_dir, FLAGS.det_results_dir, sources, options,
                             FLAGS.threshold, FLAGS.scaled, FLAGS.reconnect_tries, max(1, FLAGS.skip_frame_num),
                             Counting(**counting_flags(FLAGS)), FLAGS.save_format or ())
    prepare_output_dir(FLAGS.output_dir)
    runner = runner_for(spec, REGISTRY, FLAGS.enable_mkldnn)
    runner.run(FLAGS.output_dir, save_images=FLAGS.save_images, save_videos=FLAGS.image_dir is None,
               draw_threshold=FLAGS.draw_threshold, evaluate=False, resume=FLAGS.resume)


if __name__ == '__main__':
    run_tool(main)
