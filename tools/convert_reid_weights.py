"""Convert a torchreid OSNet checkpoint (.pth, or its .onnx export) to a .pdparams for OSNetEmbedding.

    python tools/convert_reid_weights.py --input osnet_x0_25_msmt17.onnx --output osnet_x0_25_msmt17.pdparams \
        [--model_name osnet_x0_25] [--feature_dim 512]

No PyTorch needed: .pth files are read by a restricted unpickler; .onnx files need the onnx package.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..')))

import ppdet_deepsort.adapter  # noqa: E402,F401  (registers the components, quiets ppdet's import)
from ppdet.utils.logger import setup_logger  # noqa: E402
from ppdet_deepsort.errors import ConversionError  # noqa: E402
from ppdet_deepsort.reid.convert import convert_checkpoint  # noqa: E402
from ppdet_deepsort.reid.osnet import OSNetEmbedding  # noqa: E402

logger = setup_logger('convert_reid_weights')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--input', required=True, help='torchreid checkpoint: .pth (state dict) or .onnx')
    parser.add_argument('--output', required=True, help='paddle weights to write (.pdparams)')
    parser.add_argument('--model_name', default='osnet_x0_25', help='OSNetEmbedding.model_name of the checkpoint')
    parser.add_argument('--feature_dim', type=int, default=512, help='OSNetEmbedding.feature_dim')
    args = parser.parse_args()
    if not args.output.endswith('.pdparams'):
        parser.error('--output must end in .pdparams')
    try:
        model = OSNetEmbedding(args.model_name, args.feature_dim)
        state = convert_checkpoint(args.input, args.output, model)
    except ConversionError as e:
        logger.error(str(e))
        sys.exit(1)
    logger.info("Wrote {} ({} tensors, {:.0f} kB) for OSNetEmbedding(model_name={}, feature_dim={})".format(
        args.output, len(state), os.path.getsize(args.output) / 1024, args.model_name, args.feature_dim))


if __name__ == '__main__':
    main()
