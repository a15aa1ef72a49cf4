"""Evaluate DeepSORT on MOT sequences: PaddleDetection's tools/eval_mot.py for the plugin's components.

    python tools/eval_mot.py -c configs/mot/deepsort/deepsort_pcb_pyramid_r101.yml --det_results_dir DIR \
        [--output_dir output] [--save_images] [--save_videos] [--convention motchallenge|ppdet] [-o key=value ...]

Writes {output_dir}/mot_results/{seq}.txt per sequence, prints the metrics (HOTA, CLEAR MOT, identity) of the
sequences that have ground truth and saves them as {output_dir}/mot_metrics.json and .csv, with a plot of HOTA,
DetA and AssA against the localisation threshold in {output_dir}/hota_alpha.png.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the plugin's components)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.adapter.spec import REGISTRY, run_spec  # noqa: E402
from ppdet_deepsort.engine.models import runner_for  # noqa: E402
from ppdet_deepsort.adapter.cli import (ArgsParser, add_convention_flag, add_counting_flags,  # noqa: E402
                                        add_resume_flag, add_save_format_flag, add_scaled_flag, counting_flags,
                                        load_cfg, prepare_output_dir, run_tool, set_device)

logger = setup_logger('eval_mot')


def parse_args():
    parser = ArgsParser()
    parser.add_argument("--det_results_dir", type=str, default='',
                        help="Folder of {seq}.txt detection files (overrides EvalMOTDataset.det_results_dir).")
    parser.add_argument('--output_dir', type=str, default='output', help='Folder for the tracking results.')
    parser.add_argument('--save_images', action='store_true', help='Save annotated frames.')
    add_resume_flag(parser)
    parser.add_argument('--save_videos', action='store_true', help='Save an annotated video per sequence.')
    parser.add_argument('--show_image', action='store_true', help='Not supported (no display); see --save_images.')
    add_scaled_flag(parser)
    add_counting_flags(parser)
    add_save_format_flag(parser)
    add_convention_flag(parser)
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt)
    if FLAGS.show_image:
        logger.warning("--show_image is not supported (no display); use --save_images or --save_videos")
    spec = run_spec(cfg, 'eval', FLAGS.det_results_dir, use_gpu=set_device(cfg.get('use_gpu', False)),
                    scaled_flag=FLAGS.scaled, counting_flags=counting_flags(FLAGS),
                    save_format=FLAGS.save_format)
    prepare_output_dir(FLAGS.output_dir)
    runner = runner_for(spec, REGISTRY)
    runner.run(FLAGS.output_dir, save_images=FLAGS.save_images, save_videos=FLAGS.save_videos,
               convention=FLAGS.convention, resume=FLAGS.resume)


if __name__ == '__main__':
    run_tool(main)
