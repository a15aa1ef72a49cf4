"""A faster way to run a model (bf16, int8, another runtime) kept only once it has shown, on the first real input,
that it gives what the reference (paddle fp32) gives."""

import functools
import logging
import os
import platform
import re


logger = logging.getLogger(__name__)

__all__ = ['CheckedOnFirstCall', 'cpu_supports_bf16', 'cpu_name']


@functools.lru_cache(maxsize=1)
def _cpuinfo():  # asked several times at start-up (each model, each backend key); it does not change
    try:
        with open('/proc/cpuinfo') as f:
            return f.read()
    except OSError:
        return ''


def cpu_supports_bf16():
    """Whether this CPU has native bfloat16 instructions (AVX512-BF16 or AMX): only then is bf16 faster."""
    flags = _cpuinfo()
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


def cpu_name():
    """The CPU's model name and core count, which decide what runs fastest on it."""
    names = re.findall(r'^model name\s*:\s*(.+)$', _cpuinfo(), re.M)
    return '{} x {}'.format(names[0].strip() if names else platform.processor() or platform.machine(), os.cpu_count())


class CheckedOnFirstCall:
    """Runs ``fast`` but checks it once, on the first real input, against ``reference``, and keeps whichever is
    right.

    Args:
        fast, reference (callable): inputs dict -> list of output arrays.
        agree (callable): (fast outputs, reference outputs) -> (bool, a few words on how close they are).
        name (str): the model, for the log.
        labels (tuple[str]): what ``fast`` and ``reference`` are, for the log (e.g. 'bf16', 'fp32').
    """

    def __init__(self, fast, reference, agree, name, labels):
        self._fast, self._reference, self._agree, self._name, self._labels = fast, reference, agree, name, labels
        self.kept = None  # the label of the model in use, once decided

    def __call__(self, inputs):
        if self._reference is None:
            return self._fast(inputs)
        fast, reference = self._fast(inputs), self._reference(inputs)
        agree, detail = self._agree(fast, reference)
        fast_label, reference_label = self._labels
        if agree:
            logger.info("{}: {} agrees with {} on the first input ({}): using {}".format(
                self._name, fast_label, reference_label, detail, fast_label))
            self._reference, self.kept = None, fast_label
            return fast
        logger.warning("{}: {} differs from {} on the first input ({}): using {}".format(
            self._name, fast_label, reference_label, detail, reference_label))
        self._fast, self._reference, self.kept = self._reference, None, reference_label
        return reference
