"""Sequences shared among workers started by ``python -m paddle.distributed.launch`` (one machine or several, CPUs
or GPUs), and what the workers tell rank 0 at the end.

Without the launcher (or with one worker) every function here is a no-op: one process tracks everything, as
before. Each worker tracks its share of the sequences, balanced by frame count and the same on every run, and
writes its own result files; the per-sequence results, timings and failures are then gathered on every worker
through ``paddle.distributed.all_gather_object``, so rank 0 can print and save the metrics once.
"""

import os

__all__ = ['world', 'shard', 'gather', 'cpu_threads']


def world():
    """(rank, number of workers) of this process; (0, 1) without the launcher. Starts paddle's collective
    environment the first time it finds several workers."""
    size = int(os.environ.get('PADDLE_TRAINERS_NUM', '1'))
    if size <= 1:
        return 0, 1
    import paddle.distributed as dist
    if not dist.is_initialized():
        dist.init_parallel_env()
    return dist.get_rank(), dist.get_world_size()


def shard(frames, rank, size):
    """The names of ``frames`` ({name: frame count}) that worker ``rank`` of ``size`` tracks.

    Longest first, each to the worker with the fewest frames so far (ties to the lower rank): the split depends
    only on the sequences, so every worker computes the same one and a rerun repeats it.
    """
    loads, mine = [0] * size, []
    for name in sorted(frames, key=lambda n: (-frames[n], n)):
        worker = min(range(size), key=lambda w: (loads[w], w))
        loads[worker] += frames[name]
        if worker == rank:
            mine.append(name)
    return mine


def gather(obj, size):
    """``obj`` of every worker, in rank order; ``[obj]`` alone."""
    if size <= 1:
        return [obj]
    import paddle.distributed as dist
    out = []
    dist.all_gather_object(out, obj)
    return out


def cpu_threads(requested):
    """Math-library threads for this worker: ``requested`` if set (> 0), else this machine's cores shared among
    the workers the launcher started on it (0 without the launcher: every core)."""
    local = int(os.environ.get('PADDLE_LOCAL_SIZE', '1'))
    if requested > 0 or local <= 1:
        return requested
    return max(1, (os.cpu_count() or 1) // local)
