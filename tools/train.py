"""Train or fine-tune a ReID model: PaddleDetection's tools/train.py for the plugin's ReID configs.

    python tools/train.py -c configs/mot/deepsort/reid/osnet_x0_25_finetune.yml \
        -o TrainDataset.dataset_dir=DIR TrainDataset.data_root=ROOT TrainDataset.seqs=[SEQ] save_dir=output \
        [-r output/osnet_x0_25_finetune/4] [--eval]
    python -m paddle.distributed.launch --nproc_per_node 2 tools/train.py -c ...   # data-parallel

Crops of every ground-truth person come from TrainDataset (MOT layout: frames and gt/gt.txt); each (sequence, gt
id) is one identity. Checkpoints: {save_dir}/{config name}/{epoch}.pdparams every snapshot_epoch epochs and
model_final.pdparams at the end, each the embedding model alone (load it as reid_weights in a tracking config),
with a .pdopt beside it holding the classifier heads, optimizer and schedule for -r. --eval reports rank-1,
rank-5 and mAP on EvalDataset at each snapshot and saves them in {save_dir}/{config name}/eval_results.json.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort  # noqa: E402,F401  (registers the plugin's components)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.engine.reid_trainer import ReIDTrainer  # noqa: E402
from ppdet_deepsort.utils.cli import ArgsParser, load_cfg, prepare_output_dir, run_tool, set_device  # noqa: E402

logger = setup_logger('train')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('-r', '--resume', default=None, help='Checkpoint to resume from ({save_dir}/{name}/{epoch}).')
    parser.add_argument('--eval', action='store_true', help='Rank-1 / mAP on EvalDataset at every snapshot.')
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt, builds=('LearningRate', 'OptimizerBuilder', 'TrainReader', 'EvalReader'))
    set_device(cfg)
    prepare_output_dir(cfg.get('save_dir', 'output'))
    trainer = ReIDTrainer(cfg, os.path.splitext(os.path.basename(FLAGS.config))[0])
    if FLAGS.resume:
        trainer.resume(FLAGS.resume)
    trainer.train(validate=FLAGS.eval)


if __name__ == '__main__':
    run_tool(main)
