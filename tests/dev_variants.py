"""Harder variants of the dev split's motion-only sequences, made from what the project has, so that a setting
chosen on the dev split can be seen to hold where the dev sequences are easy: most of MOT17-dev and TUD-Campus
is filmed from a static camera, at one frame rate, with one detector's score habits.

* ``camera``: a moving camera. Each frame's detections and ground truth go through a smooth random similarity
  transform (pan, zoom, a little rotation: sums of slow sinusoids with random phases), the same for both, so the
  people move as the camera would make them move in the image.
* ``shaky_camera``: the same, faster and rougher, as from a walking person or a turning vehicle: periods of
  0.7-3 s, pans and zooms of up to 10 %, a jitter of 3 px: in a 1920 px wide image the camera alone moves a box
  by 10 px a frame (median; 20 px at the 95th percentile), against 2 px for ``camera``.
* ``half_rate``: every second frame (frame rate halved): people move twice as far between frames.
* ``noisy``: extra false detections at low scores (uniform in [0.05, 0.5], a few a frame, person-sized, anywhere)
  and every score jittered, as a weaker detector would give.

Each variant keeps the MOT layout (``{seq}/det/det.txt``, ``gt/gt.txt``, ``seqinfo.ini``) and is seeded, so the
same call writes the same files.

It lives in tests/ because the tests and the benchmarks both use it:

    python tests/dev_variants.py --output_dir output/dev_variants [--variants camera half_rate noisy]
"""

import argparse
import configparser
import hashlib
import os
import sys

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
DEV_SEQUENCES = [os.path.join(REPO, 'tests', 'data', 'dev', 'MOT17-dev', 'train', name) for name in
                 ('MOT17-02-FRCNN', 'MOT17-04-FRCNN', 'MOT17-05-FRCNN', 'MOT17-09-FRCNN')]
DEV_SEQUENCES.append(os.path.join(REPO, 'tests', 'data', 'TUD', 'TUD-Campus'))
SHAKY = dict(shift=0.1, zoom=0.1, rotation=2., periods=(20, 90), jitter=3.)
VARIANTS = ('camera', 'shaky_camera', 'half_rate', 'noisy')


def _read(path):
    return np.loadtxt(path, delimiter=',', ndmin=2)


def _write(path, rows, columns):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fmt = ['%d', '%d'] + ['%.2f'] * 4 + ['%g'] * (columns - 6)
    np.savetxt(path, rows[:, :columns], delimiter=',', fmt=fmt)


def _seqinfo(seq_dir):
    info = configparser.ConfigParser()
    info.optionxform = str
    info.read(os.path.join(seq_dir, 'seqinfo.ini'))
    return info


def _detections(seq_dir):
    """MOT17's det/det.txt, or TUD's {folder above}/det_results/{seq}.txt."""
    name = os.path.basename(os.path.normpath(seq_dir))
    for path in (os.path.join(seq_dir, 'det', 'det.txt'),
                 os.path.join(os.path.dirname(os.path.normpath(seq_dir)), 'det_results', name + '.txt')):
        if os.path.isfile(path):
            return path
    raise FileNotFoundError('{}: no det/det.txt or ../det_results/{}.txt'.format(seq_dir, name))


def camera_warps(num_frames, width, height, seed, shift=0.08, zoom=0.06, rotation=1.5, periods=(90, 600), jitter=1.):
    """Per frame a 2 x 3 similarity (image of the static scene in the moving camera): pans of up to ``shift`` of the
    image size, zooms of up to ``zoom``, rotations of up to ``rotation`` degrees, each a sum of two sinusoids with
    periods drawn in ``periods`` frames (3-20 s at 30 fps by default) so the motion is smooth, with a jitter of
    ``jitter`` pixels (a hand-held camera)."""
    rng = np.random.RandomState(seed)
    t = np.arange(num_frames, dtype=np.float64)

    def wave(amplitude):
        period, phase = rng.uniform(*periods, 2), rng.uniform(0, 2 * np.pi, 2)
        return amplitude / 2 * np.sin(2 * np.pi * t[:, None] / period + phase).sum(1)
    tx = wave(shift * width) + rng.normal(0, jitter, num_frames)
    ty = wave(shift * height) + rng.normal(0, jitter, num_frames)
    scale, angle = 1 + wave(zoom), np.deg2rad(wave(rotation))
    cx, cy = width / 2, height / 2
    warps = np.zeros((num_frames, 2, 3))
    warps[:, 0, 0], warps[:, 0, 1] = scale * np.cos(angle), -scale * np.sin(angle)
    warps[:, 1, 0], warps[:, 1, 1] = scale * np.sin(angle), scale * np.cos(angle)
    # About the image centre, then the pan.
    warps[:, 0, 2] = cx - warps[:, 0, 0] * cx - warps[:, 0, 1] * cy + tx
    warps[:, 1, 2] = cy - warps[:, 1, 0] * cx - warps[:, 1, 1] * cy + ty
    return warps


def _warp_rows(rows, warps):
    """Boxes (columns 2-5, tlwh) of rows whose column 0 is the frame, moved by that frame's warp: the centre goes
    through the similarity, the size scales with it (the box stays upright)."""
    out = rows.copy()
    warp = warps[rows[:, 0].astype(np.int64) - 1]
    centre = rows[:, 2:4] + rows[:, 4:6] / 2
    moved = np.einsum('nij,nj->ni', warp[:, :, :2], centre) + warp[:, :, 2]
    scale = np.sqrt(np.abs(np.linalg.det(warp[:, :, :2])))[:, None]
    size = rows[:, 4:6] * scale
    out[:, 2:4], out[:, 4:6] = moved - size / 2, size
    return out


def input_hashes(sequence_dirs):
    """{sequence: {'det': sha1, 'gt': sha1}} of MOT-layout sequence folders: what a stored score on them was
    computed from (tests/data/dev/peers/variants/metrics.json)."""
    def sha1(path):
        with open(path, 'rb') as f:
            return hashlib.sha1(f.read()).hexdigest()
    return {os.path.basename(d): {'det': sha1(os.path.join(d, 'det', 'det.txt')),
                                  'gt': sha1(os.path.join(d, 'gt', 'gt.txt'))} for d in sequence_dirs}


def make_variant(seq_dir, variant, out_root, seed=0):
    """Write ``variant`` of the sequence ``seq_dir`` to ``{out_root}/{variant}/{seq name}``; returns that folder."""
    info = _seqinfo(seq_dir)
    section = info['Sequence']
    dets, gt = _read(_detections(seq_dir)), _read(os.path.join(seq_dir, 'gt', 'gt.txt'))
    num_frames = int(section['seqLength'])
    # TUD's seqinfo.ini has no image size: the boxes' extent stands for it.
    width = float(section.get('imWidth', np.ceil((dets[:, 2] + dets[:, 4]).max())))
    height = float(section.get('imHeight', np.ceil((dets[:, 3] + dets[:, 5]).max())))
    name = os.path.basename(os.path.normpath(seq_dir))
    if variant in ('camera', 'shaky_camera'):
        warps = camera_warps(num_frames, width, height, seed, **(SHAKY if variant == 'shaky_camera' else {}))
        dets, gt = _warp_rows(dets, warps), _warp_rows(gt, warps)
    elif variant == 'half_rate':
        dets, gt = dets[dets[:, 0] % 2 == 1], gt[gt[:, 0] % 2 == 1]
        dets[:, 0], gt[:, 0] = (dets[:, 0] + 1) // 2, (gt[:, 0] + 1) // 2
        num_frames = (num_frames + 1) // 2
        section['frameRate'] = '{:g}'.format(float(section.get('frameRate', 25)) / 2)  # TUD: 25 fps
        section['seqLength'] = str(num_frames)
    elif variant == 'noisy':
        rng = np.random.RandomState(seed)
        dets = dets.copy()
        dets[:, 6] = np.clip(dets[:, 6] + rng.normal(0, 0.1, len(dets)), 0.05, 1.)
        counts = rng.poisson(3, num_frames)
        frames = np.repeat(np.arange(1, num_frames + 1), counts)
        h = np.exp(rng.uniform(np.log(height / 12), np.log(height / 2.5), len(frames)))
        w = h * rng.uniform(0.3, 0.5, len(frames))
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
        false = np.c_[frames, -np.ones(len(frames)), x, y, w, h, rng.uniform(0.05, 0.5, len(frames))]
        false = np.c_[false, np.zeros((len(false), dets.shape[1] - false.shape[1]))]
        dets = np.concatenate([dets, false])
        dets = dets[np.argsort(dets[:, 0], kind='stable')]
    else:
        raise ValueError('variant: expected one of {}, got {!r}'.format(', '.join(VARIANTS), variant))
    out = os.path.join(out_root, variant, name)
    _write(os.path.join(out, 'det', 'det.txt'), dets, dets.shape[1])
    _write(os.path.join(out, 'gt', 'gt.txt'), gt, gt.shape[1])
    section['name'] = name
    with open(os.path.join(out, 'seqinfo.ini'), 'w') as f:
        info.write(f, space_around_delimiters=False)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--output_dir', default=os.path.join('output', 'dev_variants'))
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    for variant in args.variants:
        for seq in DEV_SEQUENCES:
            print(make_variant(seq, variant, args.output_dir, args.seed), file=sys.stderr)


if __name__ == '__main__':
    main()
