"""Score any tracker's MOTChallenge result files against ground truth: HOTA, CLEAR MOT and identity metrics,
equal to the MOTChallenge devkit and TrackEval (or to ppdet 2.6's evaluator with --convention ppdet).

    python tools/eval_mot_results.py --gt_dir GT --results_dir RES [--seqs A B ...] [--output_dir output] \
        [--convention motchallenge|ppdet]

GT/{seq}/gt/gt.txt and GT/{seq}/seqinfo.ini (its seqLength, and gtFrames=FIRST-LAST if the ground truth covers
only those frames; the frames themselves need not exist); RES/{seq}.txt with rows frame,id,x,y,w,h,score,...
Without --seqs every folder of GT with a gt/gt.txt is scored. A sequence without a result file is scored as
empty (the tracker found nobody) and warned about. Prints the table, writes {output_dir}/mot_metrics.json and
.csv and {output_dir}/hota_alpha.png.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.data import GroundTruth, Sequence, read_mot_results  # noqa: E402
from ppdet_deepsort.errors import MOTFileError, SequenceError  # noqa: E402
from ppdet_deepsort.metrics import evaluate  # noqa: E402
from ppdet_deepsort.adapter.cli import add_convention_flag, prepare_output_dir, run_tool  # noqa: E402

logger = setup_logger('eval_mot_results')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--gt_dir', required=True, help='Folder of {seq}/gt/gt.txt and {seq}/seqinfo.ini.')
    parser.add_argument('--results_dir', required=True, help='Folder of {seq}.txt result files.')
    parser.add_argument('--seqs', nargs='+', default=None, help='Sequences to score (default: all in --gt_dir).')
    parser.add_argument('--output_dir', default='output', help='Where the metrics files are written.')
    add_convention_flag(parser)
    return parser.parse_args()


def sequence_names(gt_dir, seqs):
    if not os.path.isdir(gt_dir):
        raise SequenceError("ground truth folder not found: {}".format(gt_dir))
    if seqs:
        return seqs
    names = sorted(n for n in os.listdir(gt_dir) if os.path.isfile(os.path.join(gt_dir, n, 'gt', 'gt.txt')))
    if not names:
        raise SequenceError("{}: no {{seq}}/gt/gt.txt in it".format(gt_dir))
    return names


def load(gt_dir, results_dir, name):
    """(name, GroundTruth, results, frames) of one sequence."""
    seq = Sequence.from_dir(os.path.join(gt_dir, name))
    if seq.gt_path is None:
        raise SequenceError("{}: no ground truth ({} is missing)".format(name, os.path.join(gt_dir, name, 'gt',
                                                                                             'gt.txt')))
    first, last = seq.gt_frames or (1, seq.num_frames)
    gt = GroundTruth(seq.gt_path, name)
    if gt.last_frame > seq.num_frames:
        raise MOTFileError("{}: ground truth has frame {}, beyond seqLength={} of seqinfo.ini".format(
            gt.path, gt.last_frame, seq.num_frames))
    path = os.path.join(results_dir, name + '.txt')
    if os.path.isfile(path):
        results = read_mot_results(path)
    else:
        logger.warning("{}: no result file {}: scored as a tracker that found nobody".format(name, path))
        results = {}
    beyond = [f for f in results if f > seq.num_frames]
    if beyond:
        raise MOTFileError("{}: rows for frame {}, beyond seqLength={} of {}".format(
            path, min(beyond), seq.num_frames, os.path.join(gt_dir, name, 'seqinfo.ini')))
    if seq.gt_frames is not None:
        logger.info("{}: ground truth covers frames {}-{} (seqinfo.ini gtFrames): evaluating those".format(
            name, first, last))
    return name, gt, results, range(first, last + 1)


def main():
    args = parse_args()
    prepare_output_dir(args.output_dir)
    sequences = [load(args.gt_dir, args.results_dir, name) for name in sequence_names(args.gt_dir, args.seqs)]
    logger.info("Scoring {} sequences ({} convention)".format(len(sequences), args.convention))
    evaluate(sequences, args.convention).publish(args.output_dir)


if __name__ == '__main__':
    run_tool(main)
