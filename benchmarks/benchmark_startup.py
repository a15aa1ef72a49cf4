"""What the installed start-up hook (ppdet_deepsort_autoload.pth) costs, as one JSON object on stdout.

    python benchmarks/benchmark_startup.py [--runs 20]

A Python start-up that never imports ppdet, with the hook on and off (PPDET_DEEPSORT_AUTOLOAD=0), the runs
alternating; the hook module's own import time (python -X importtime); whether anything of ppdet or paddle is
imported at start-up; and ``import ppdet`` with the plugin registered by the hook against ppdet alone. Times
are medians in milliseconds; the machines are shared and noisy, so read the differences against their spread.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

PROBE = "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in ('ppdet', 'paddle', 'ppdet_deepsort')))"


def _run(args, hook):
    env = dict(os.environ, PPDET_DEEPSORT_AUTOLOAD='1' if hook else '0')
    start = time.perf_counter()
    proc = subprocess.run([sys.executable] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=True)
    return (time.perf_counter() - start) * 1000, proc


def _timed(args, runs):
    times = {True: [], False: []}
    for _ in range(runs):
        for hook in (True, False):
            times[hook].append(_run(args, hook)[0])
    return {'hook_on': statistics.median(times[True]), 'hook_off': statistics.median(times[False]),
            'spread_hook_off': statistics.pstdev(times[False])}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=20, help='start-ups of each kind (default 20)')
    flags = parser.parse_args()
    startup = _timed(['-c', 'pass'], flags.runs)
    _, proc = _run(['-X', 'importtime', '-c', 'pass'], True)
    hook_us = [int(m.group(1)) for m in re.finditer(r'import time:\s+\d+ \|\s+(\d+) \|\s+ppdet_deepsort_autoload$',
                                                      proc.stderr, re.MULTILINE)]
    _, probe = _run(['-c', PROBE], True)
    ppdet = _timed(['-c', 'import ppdet'], max(3, flags.runs // 5))
    _, registered = _run(['-c', 'import ppdet, sys; print("ppdet_deepsort" in sys.modules)'], True)
    report = {
        'startup_without_ppdet_ms': dict(startup, added_by_hook=startup['hook_on'] - startup['hook_off']),
        'hook_module_import_ms': hook_us[0] / 1000 if hook_us else None,
        'modules_of_ppdet_or_paddle_at_startup': json.loads(probe.stdout.strip().replace("'", '"')),
        'import_ppdet_ms': dict(ppdet, added_by_registering=ppdet['hook_on'] - ppdet['hook_off']),
        'plugin_registered_by_import_ppdet': registered.stdout.strip().splitlines()[-1] == 'True',
        'runs': flags.runs,
        'python': sys.version.split()[0],
    }
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
