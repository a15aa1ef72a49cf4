"""Train or fine-tune a ReID model: PaddleDetection's tools/train.py for the plugin's ReID configs, with ppdet's own
Trainer (ppdet's reader, schedule, optimizer, log line, checkpoints and resuming) and the project's checks of the
config and its -o overrides.

    python tools/train.py -c configs/mot/deepsort/reid/osnet_x0_25_finetune.yml \
        -o TrainDataset.dataset_dir=DIR TrainDataset.data_root=ROOT TrainDataset.seqs=[SEQ] save_dir=output \
        [-r output/osnet_x0_25_finetune/4] [--eval]
    python -m paddle.distributed.launch --nproc_per_node 2 tools/train.py -c ...   # data-parallel

Crops of every ground-truth person come from TrainDataset (MOT layout: frames and gt/gt.txt); each (sequence, gt
id) is one identity, in batches of P identities x K crops. Checkpoints: {save_dir}/{config name}/{epoch}.pdparams
every snapshot_epoch epochs and model_final.pdparams at the end (the embedding model's keys and the classifier
head's: load it as reid_weights in a tracking config), with ppdet's .pdopt beside it for -r. --eval reports rank-1,
rank-5 and mAP on EvalDataset at each snapshot, keeps best_model.pdparams (by mAP) and saves the results in
{save_dir}/{config name}/eval_results.json.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the plugin's components)
from ppdet.engine import Trainer, init_parallel_env  # noqa: E402
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.adapter.cli import ArgsParser, load_cfg, prepare_output_dir, run_tool, set_device  # noqa: E402

logger = setup_logger('train')


def parse_args():
    parser = ArgsParser()
    parser.add_argument('-r', '--resume', default=None, help='Checkpoint to resume from ({save_dir}/{name}/{epoch}).')
    parser.add_argument('--eval', action='store_true', help='Rank-1 / mAP on EvalDataset at every snapshot.')
    return parser.parse_args()


def main():
    FLAGS = parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt, builds=('LearningRate', 'OptimizerBuilder', 'TrainReader', 'EvalReader'))
    cfg['use_gpu'] = set_device(cfg.get('use_gpu', False))  # ppdet's Trainer reads it
    prepare_output_dir(cfg.get('save_dir', 'output'))
    init_parallel_env()
    trainer = Trainer(cfg, mode='train')
    if FLAGS.resume:
        trainer.resume_weights(FLAGS.resume)
    elif cfg.get('pretrain_weights') not in (None, '', 'None'):
        trainer.load_weights(cfg['pretrain_weights'])
    trainer.train(FLAGS.eval)


if __name__ == '__main__':
    run_tool(main)
