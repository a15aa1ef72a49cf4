"""Proof that a sequence's result file is complete for one run, so that ``--resume`` can skip it.

After a sequence's results are written (atomically), a small JSON manifest is written, atomically too:
``{output_dir}/mot_manifests/{seq}.json``. It holds a digest of what the results depend on besides the
sequence (the effective tracker, runtime, model and dataset settings and the weights' contents: the run), a digest
of the sequence's inputs (its detection file's contents; its video's or frames' names, sizes and modification
times; its frame count), and the result file's own digest. A result file is taken as done only when its manifest
says the same run, the same inputs and the file's present contents; anything else is tracked again, with the reason
in the log.
"""

import hashlib
import json
import os

from ..utils.atomic import atomic_write

__all__ = ['digest_file', 'run_digest', 'sequence_inputs', 'check', 'write']

_VERSION = 1


def digest_file(path):
    """sha256 of a file's contents."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def run_digest(settings):
    """Digest of a JSON-able description of the run (keys sorted; what JSON cannot hold goes in as its repr)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=repr).encode()).hexdigest()


def _stat(path):
    info = os.stat(path)
    return [os.path.basename(path), info.st_size, info.st_mtime_ns]


def sequence_inputs(seq, det_file=None):
    """What a sequence's results are computed from: its detections' contents, its pixels' files (by name, size and
    modification time: hashing hours of video would cost what tracking it costs), its frames."""
    source = seq.source
    if source is None:
        pixels = None
    elif os.path.isdir(source):
        pixels = [_stat(os.path.join(source, name)) for name in sorted(os.listdir(source))]
    else:
        pixels = _stat(source)
    return {'detections': digest_file(det_file) if det_file and os.path.isfile(det_file) else None,
            'pixels': pixels, 'frames': [seq.frame_ids.start, seq.frame_ids.stop, seq.num_frames]}


def _path(result_path):
    """``{output_dir}/mot_manifests/{seq}.json`` for ``{output_dir}/mot_results/{seq}.txt``: out of the results
    folder, which holds only result files (what MOTChallenge and the evaluators read)."""
    results_dir, name = os.path.split(result_path)
    return os.path.join(os.path.dirname(results_dir), 'mot_manifests', name[:-len('.txt')] + '.json')


def check(result_path, run, inputs):
    """(True, '') when ``result_path`` is complete for this run and these inputs, else (False, why not)."""
    try:
        with open(_path(result_path), encoding='utf-8') as f:
            manifest = json.load(f)
    except FileNotFoundError:
        return False, 'no manifest (the run that wrote it did not finish it)' if os.path.isfile(result_path) else \
            'no results yet'
    except (OSError, ValueError) as e:
        return False, 'its manifest cannot be read ({})'.format(e)
    if not isinstance(manifest, dict) or manifest.get('version') != _VERSION:
        return False, 'its manifest is of another version'
    if manifest.get('run') != run:
        return False, 'written with other settings or weights'
    if manifest.get('inputs') != inputs:
        changed = [key for key in inputs if manifest.get('inputs', {}).get(key) != inputs[key]]
        return False, 'its {} changed since'.format(' and '.join(changed) or 'inputs')
    try:
        complete = digest_file(result_path) == manifest.get('results')
    except OSError:
        return False, 'its result file is missing'
    return (True, '') if complete else (False, 'its result file is not the one the manifest describes')


def write(result_path, run, inputs):
    """Record that ``result_path`` (already complete) holds this run's results for these inputs."""
    os.makedirs(os.path.dirname(_path(result_path)), exist_ok=True)
    with atomic_write(_path(result_path), 'w') as f:
        json.dump({'version': _VERSION, 'run': run, 'inputs': inputs, 'results': digest_file(result_path)}, f,
                  indent=1)
