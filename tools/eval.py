"""Evaluate a ReID model on identity crops: PaddleDetection's tools/eval.py for the plugin's ReID configs, with
ppdet's own Trainer and the project's checks of the config and its -o overrides.

    python tools/eval.py -c configs/mot/deepsort/reid/osnet_x0_25_finetune.yml -o weights=PATH.pdparams \
        [--output_eval DIR] [-o EvalDataset.dataset_dir=... EvalDataset.seqs=[...]]

Prints rank-1, rank-5 and mAP of ``weights`` (a training checkpoint, or an embedding model's weights such as the
bundled ones) on EvalDataset and saves them as {output_eval}/reid_metrics.json. Tracking evaluation is
tools/eval_mot.py.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the plugin's components)
from ppdet.engine import Trainer  # noqa: E402
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.adapter.builders import resolve_weights  # noqa: E402
from ppdet_deepsort.adapter.cli import ArgsParser, load_cfg, prepare_output_dir, run_tool, set_device  # noqa: E402

logger = setup_logger('eval')


def main():
    parser = ArgsParser()
    parser.add_argument('--output_eval', default='output', help='Folder for reid_metrics.json.')
    FLAGS = parser.parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt, builds=('EvalReader', ))
    cfg['use_gpu'] = set_device(cfg.get('use_gpu', False))  # ppdet's Trainer reads it
    prepare_output_dir(FLAGS.output_eval)
    cfg['output_eval'] = FLAGS.output_eval
    weights = resolve_weights(cfg.get('weights') or cfg.get('pretrain_weights'), 'weights')
    trainer = Trainer(cfg, mode='eval')
    trainer.load_weights(weights)
    trainer.evaluate()


if __name__ == '__main__':
    run_tool(main)
