"""Track videos or a folder of frames: PaddleDetection's tools/infer_mot.py for the plugin's components.

    python tools/infer_mot.py -c configs/mot/deepsort/deepsort_osnet_x0_25.yml --video_file X.mp4 [Y.mp4 ...] \
        --det_results_dir DIR [--output_dir output] [--save_videos] [--save_images] [--draw_threshold 0.5]
    python tools/infer_mot.py -c ... --video_dir VIDEOS --det_results_dir DIR
    python tools/infer_mot.py -c ... --image_dir FRAMES --det_results_dir DIR
    python tools/infer_mot.py -c configs/mot/deepsort/deepsort_ppyoloe_osnet_x0_25.yml --camera 0 --save_videos
    python tools/infer_mot.py -c ... --video_file rtsp://HOST/PATH [--save_videos]

The detections of video X.mp4 (or folder FRAMES) are read from DIR/X.txt (DIR/FRAMES.txt). Results go to
{output_dir}/mot_results/X.txt, the annotated video to {output_dir}/mot_outputs/X_vis.mp4. Under
python -m paddle.distributed.launch the videos are shared among the workers.

A camera or a stream (rtsp://, http://, ...) is tracked live until Ctrl-C or SIGTERM, which keep everything tracked
up to then, or until it stops sending (reported with its last frame); its results are flushed every
flush_interval seconds meanwhile (TestMOTDataset's reconnect_tries and stream_timeout, see docs/long-runs.md).
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the plugin's components)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.data import VIDEO_EXTS  # noqa: E402
from ppdet_deepsort.errors import ConfigError, SequenceError  # noqa: E402
from ppdet_deepsort.adapter.cli import (ArgsParser, add_counting_flags, add_resume_flag, add_save_format_flag,  # noqa: E402
                                        add_scaled_flag, counting_flags, load_cfg, prepare_output_dir,
                                        run_tool, set_device)
from ppdet_deepsort.adapter.spec import REGISTRY, run_spec  # noqa: E402
from ppdet_deepsort.engine.models import runner_for  # noqa: E402
from ppdet_deepsort.engine.spec import Sources  # noqa: E402

logger = setup_logger('infer_mot')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('--video_file', type=str, nargs='+', default=None,
                        help='Videos to track, or live streams (rtsp://..., http://...).')
    parser.add_argument('--camera', type=int, default=None, help='Camera (device index) to track live.')
    parser.add_argument('--video_dir', type=str, default=None, help='Folder whose videos are all tracked.')
    parser.add_argument('--frame_rate', type=int, default=-1, help='Frame rate of the output video (-1: the input\'s).')
    parser.add_argument('--image_dir', type=str, default=None, help='Folder of frames to track (instead of a video).')
    parser.add_argument('--det_results_dir', type=str, default='',
                        help='Folder of detection files; {video or folder name}.txt is used.')
    parser.add_argument('--output_dir', type=str, default='output', help='Folder for the tracking results.')
    parser.add_argument('--save_images', action='store_true', help='Save annotated frames.')
    add_resume_flag(parser)
    parser.add_argument('--save_videos', action='store_true', help='Save the annotated video.')
    parser.add_argument('--save_mot_txts', action='store_true',
                        help='Kept for PaddleDetection compatibility: the MOT results file is always written.')
    parser.add_argument('--show_image', action='store_true', help='Not supported (no display); see --save_images.')
    parser.add_argument('--draw_threshold', type=float, default=0.5,
                        help='Tracks whose last detection scored below this are not drawn (they stay in the results).')
    add_scaled_flag(parser)
    add_counting_flags(parser)
    add_save_format_flag(parser)
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    if sum(x is not None for x in (FLAGS.video_file, FLAGS.video_dir, FLAGS.image_dir, FLAGS.camera)) != 1:
        raise ConfigError('give exactly one of --video_file, --video_dir, --image_dir and --camera')
    cfg = load_cfg(FLAGS.config, FLAGS.opt)
    if FLAGS.show_image:
        logger.warning("--show_image is not supported (no display); use --save_images or --save_videos")
    if FLAGS.video_dir is not None:
        if not os.path.isdir(FLAGS.video_dir):
            raise SequenceError("--video_dir {}: no such folder".format(FLAGS.video_dir))
        videos = sorted(os.path.join(FLAGS.video_dir, f) for f in os.listdir(FLAGS.video_dir)
                        if f.lower().endswith(VIDEO_EXTS))
        if not videos:
            raise SequenceError("--video_dir {}: no videos ({}) in it".format(FLAGS.video_dir, ' '.join(VIDEO_EXTS)))
        sources = Sources(videos=tuple(videos), frame_rate=FLAGS.frame_rate)
    else:
        sources = Sources(tuple(FLAGS.video_file or ()), FLAGS.camera, FLAGS.image_dir, FLAGS.frame_rate)
    spec = run_spec(cfg, 'test', FLAGS.det_results_dir, sources, use_gpu=set_device(cfg.get('use_gpu', False)),
                    scaled_flag=FLAGS.scaled, counting_flags=counting_flags(FLAGS),
                    save_format=FLAGS.save_format)
    prepare_output_dir(FLAGS.output_dir)
    runner = runner_for(spec, REGISTRY)
    runner.run(FLAGS.output_dir, save_images=FLAGS.save_images, save_videos=FLAGS.save_videos,
               draw_threshold=FLAGS.draw_threshold, evaluate=False, resume=FLAGS.resume)


if __name__ == '__main__':
    run_tool(main)
