"""The package's layers import only downward: the core imports neither paddle nor ppdet, the models and runtimes
import paddle but not ppdet, and ppdet is imported by the adapter alone."""

import ast
import os
import subprocess
import sys
import textwrap

from conftest import PETS_DET, REPO

PACKAGE = os.path.join(REPO, 'ppdet_deepsort')
# The core, as modules or folders of ppdet_deepsort (everything else but adapter/ is the models' layer).
CORE = ('__init__.py', 'boxes.py', 'errors.py', 'checks.py', 'tracker', 'metrics', 'data', 'counting',
        'utils/atomic.py', 'utils/visualize.py', 'engine/__init__.py', 'engine/outputs.py', 'engine/manifest.py',
        'engine/interpolation.py')


def imports(path):
    """Every module ``path`` imports (at any depth of the file), relative imports resolved to package names."""
    module = os.path.relpath(path, REPO)[:-3].replace(os.sep, '.')
    package = module.rsplit('.', 1)[0] if not path.endswith('__init__.py') else module[:-len('.__init__')]
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                base = '.'.join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(base + '.' + alias.name for alias in node.names)
    return found


def modules():
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, PACKAGE).replace(os.sep, '/'), path


def layer(relpath):
    if relpath.startswith('adapter/'):
        return 'adapter'
    return 'core' if any(relpath == c or relpath.startswith(c + '/') for c in CORE) else 'models'


def top(name):
    return name.split('.')[0]


def test_ppdet_is_imported_by_the_adapter_alone_and_paddle_not_by_the_core():
    wrong = []
    for relpath, path in modules():
        kind = layer(relpath)
        for name in imports(path):
            if top(name) == 'ppdet' and kind != 'adapter':
                wrong.append('{} ({}) imports {}'.format(relpath, kind, name))
            if top(name) == 'paddle' and kind == 'core':
                wrong.append('{} (core) imports {}'.format(relpath, name))
    assert not wrong, '\n'.join(wrong)


def test_layers_import_only_downward():
    rank = {'core': 0, 'models': 1, 'adapter': 2}
    wrong = []
    for relpath, path in modules():
        for name in imports(path):
            if not name.startswith('ppdet_deepsort.') or name.count('.') < 1:
                continue
            target = name[len('ppdet_deepsort.'):].replace('.', '/')
            candidates = [target + '.py', target + '/__init__.py']
            hit = next((c for c in candidates if os.path.exists(os.path.join(PACKAGE, c))), None)
            if hit is None:  # a name imported from a module
                target = target.rsplit('/', 1)[0]
                hit = next((c for c in (target + '.py', target + '/__init__.py')
                            if os.path.exists(os.path.join(PACKAGE, c))), None)
            if hit is not None and rank[layer(hit)] > rank[layer(relpath)]:
                wrong.append('{} ({}) imports {} ({})'.format(relpath, layer(relpath), hit, layer(hit)))
    assert not wrong, '\n'.join(wrong)


def test_the_core_tracks_the_sample_with_paddle_and_ppdet_blocked():
    """In a fresh interpreter where importing paddle or ppdet fails, the core reads the bundled PETS09 detections,
    tracks them on motion alone and scores them against the sample's ground truth."""
    script = textwrap.dedent('''
        import sys
        sys.modules['paddle'] = sys.modules['ppdet'] = None
        sys.path.insert(0, {repo!r})
        import numpy as np
        import ppdet_deepsort
        from ppdet_deepsort.boxes import tlwh_to_xyxy
        from ppdet_deepsort.data import GroundTruth, load_detections
        from ppdet_deepsort.metrics import evaluate
        from ppdet_deepsort.tracker import FastDeepSORTTracker
        dets = load_detections({det!r}, 795)
        tracker = FastDeepSORTTracker(max_iou_distance=0.7)
        results = {{}}
        for frame in range(1, 70):
            tlwh, score, _ = dets.in_frame(frame)
            tracker.predict()
            tracker.update(np.c_[np.zeros(len(tlwh)), score, tlwh_to_xyxy(tlwh)])
            results[frame] = tracker.outputs()[:2]
        gt = GroundTruth({gt!r}, 'PETS09-S2L1')
        summary = evaluate([('PETS09-S2L1', gt, results, list(range(1, 70)))], 'motchallenge')
        assert 'paddle' not in sys.modules or sys.modules['paddle'] is None
        print('MOTA', summary.rows['OVERALL']['MOTA'], 'IDs', len({{i for ids, _ in results.values() for i in ids}}))
    ''').format(repo=REPO, det=PETS_DET, gt=os.path.join(os.path.dirname(os.path.dirname(PETS_DET)), 'images',
                                                          'train', 'PETS09-S2L1', 'gt', 'gt.txt'))
    proc = subprocess.run([sys.executable, '-c', script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={'PPDET_DEEPSORT_AUTOLOAD': '0', 'PATH': '/usr/bin:/bin'}, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    line = proc.stdout.strip().splitlines()[-1].split()
    assert line[0] == 'MOTA' and float(line[1]) > 0.4 and 5 <= int(line[3]) <= 20
