"""The runtime measured fastest on this machine (``reid_backend: auto``, ``det_backend: auto``).

Which runtime runs a model fastest depends on the CPU (AVX2 or AVX-512, bf16, AMD or Intel), the model and the
thread count, and CPU flags do not tell: paddle.inference ran OSNet 1.7x faster than ONNX Runtime on one
AVX512-BF16 Xeon and 2x slower on an AVX512-BF16 EPYC. So :class:`Race` times the candidates on the first real
input, after their agreement checks, keeps the fastest, and :class:`RuntimeChoices` remembers the winner per model
(its exported files, so its input size too), machine, thread count and runtime versions, in the conversion cache:
later runs build the winner alone and race nothing.
"""

import json
import logging
import os
import statistics
import time

from ..utils.atomic import atomic_write
from .first_call import cpu_name

logger = logging.getLogger(__name__)

__all__ = ['Race', 'RuntimeChoices']

REPEATS = 5  # timed calls per candidate, after its first; the median decides


class RuntimeChoices:
    """The runtime each model ran fastest on, kept in ``{cache}/runtime_choices.json``.

    Args:
        cache (str): the conversion cache folder (:func:`.onnx_models.cache_dir`).
        model (str): what the model is (a digest of its exported files, :func:`.onnx_models.model_digest`).
        precision (str): the precision asked for.
        threads (int): the math threads each runtime uses.
    """

    FILE = 'runtime_choices.json'

    def __init__(self, cache, model, precision, threads):
        self.path = os.path.join(cache, self.FILE)
        self.key = '|'.join([model, precision, 'threads={}'.format(threads), cpu_name(), _versions()])

    def _read(self):
        try:
            with open(self.path) as f:
                choices = json.load(f)
            return choices if isinstance(choices, dict) else {}
        except (OSError, ValueError):  # none yet, or a file this version cannot read: measure again
            return {}

    def remembered(self):
        """The label of the runtime measured fastest before, or None."""
        entry = self._read().get(self.key)
        return entry.get('runtime') if isinstance(entry, dict) else None

    def remember(self, label, milliseconds):
        """Keep ``label`` as this model's runtime here, with what each candidate measured. A cache that cannot be
        written costs a race at the next run, not this one."""
        choices = self._read()
        choices[self.key] = {'runtime': label, 'ms': milliseconds, 'measured': time.strftime('%Y-%m-%d %H:%M:%S')}
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with atomic_write(self.path) as f:
                json.dump(choices, f, indent=1, sort_keys=True)
        except OSError as e:
            logger.warning("could not remember the runtime chosen in {}: {}".format(self.path, e))


def _versions():
    import paddle
    try:
        import onnxruntime
        ort = onnxruntime.__version__
    except ImportError:
        ort = 'none'
    return 'paddle={} onnxruntime={}'.format(paddle.__version__, ort)


class Race:
    """Runs each candidate on the first input (each checks itself there against paddle fp32, as it would alone),
    times each on that input :data:`REPEATS` times more, and from then on runs the fastest alone. The first call
    returns the winner's own outputs, so a run that raced and one that built the remembered winner alone give the
    same results.

    Args:
        candidates (dict): label -> runtime (inputs dict -> list of outputs), in order of preference on a tie.
        name (str): the model, for the log.
        choices (RuntimeChoices): where the winner is remembered.
    """

    def __init__(self, candidates, name, choices):
        self._candidates, self._name, self._choices = dict(candidates), name, choices
        self._chosen = None
        self.kept = None  # the winner's label, once measured

    def __call__(self, inputs):
        if self._chosen is not None:
            return self._chosen(inputs)
        outputs = {label: runtime(inputs) for label, runtime in self._candidates.items()}
        seconds = {label: [] for label in self._candidates}
        for _ in range(REPEATS):
            for label, runtime in self._candidates.items():  # interleaved: a busy moment hits them alike
                start = time.perf_counter()
                runtime(inputs)
                seconds[label].append(time.perf_counter() - start)
        ms = {label: round(statistics.median(s) * 1e3, 3) for label, s in seconds.items()}
        best = min(ms, key=ms.get)
        self._chosen, self.kept = self._candidates[best], best
        self._candidates = None  # the others' memory goes
        logger.info("{} runs on the runtime measured fastest here: {} (on the first input, median of {}: {})".format(
            self._name, best, REPEATS, ', '.join('{} {:.2f} ms'.format(k, v) for k, v in ms.items())))
        self._choices.remember(best, ms)
        return outputs[best]
