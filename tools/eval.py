"""Evaluate a ReID model on identity crops: PaddleDetection's tools/eval.py for the plugin's ReID configs.

    python tools/eval.py -c configs/mot/deepsort/reid/osnet_x0_25_finetune.yml -o weights=PATH.pdparams \
        [--output_eval DIR] [-o EvalDataset.dataset_dir=... EvalDataset.seqs=[...]]

Prints rank-1, rank-5 and mAP of the embedding model (``weights``, e.g. a training checkpoint or the bundled
weights) on EvalDataset and saves them as {output_eval}/reid_metrics.json. Tracking evaluation is
tools/eval_mot.py.
"""

import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort  # noqa: E402,F401  (registers the plugin's components)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.engine.reid_trainer import evaluate_retrieval  # noqa: E402
from ppdet_deepsort.reid.weights import load_state_dict  # noqa: E402
from ppdet_deepsort.utils.atomic import atomic_write  # noqa: E402
from ppdet_deepsort.utils.cli import ArgsParser, load_cfg, prepare_output_dir, run_tool, set_device  # noqa: E402
from ppdet_deepsort.utils.config import build  # noqa: E402

logger = setup_logger('eval')


def main():
    parser = ArgsParser()
    parser.add_argument('--output_eval', default='output', help='Folder for reid_metrics.json.')
    FLAGS = parser.parse_args()
    cfg = load_cfg(FLAGS.config, FLAGS.opt, builds=('EvalReader', ))
    set_device(cfg)
    prepare_output_dir(FLAGS.output_eval)
    model = build(cfg['architecture'], 'architecture')
    weights = cfg.get('weights') or cfg.get('pretrain_weights')
    load_state_dict(model.embedding, weights, 'weights')
    metrics = dict(evaluate_retrieval(cfg, model.embedding), weights=weights)
    with atomic_write(os.path.join(FLAGS.output_eval, 'reid_metrics.json')) as f:
        json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    run_tool(main)
