"""The changes to ppdet's engine are fenced: each is applied only to the ppdet release and target signature it was
written for, and skipped with one line naming the ppdet and the method otherwise."""

import os
import subprocess
import sys
import textwrap

from conftest import REPO


def adapter_in_fresh_process(before):
    """Run ``before`` after ``import ppdet`` and before the adapter's import, with the start-up hook off; returns
    (the changes applied, the warnings logged)."""
    script = textwrap.dedent('''
        import logging, sys
        sys.path.insert(0, {repo!r})
        import ppdet
        {before}
        import ppdet_deepsort.adapter.engine_changes as changes
        print('APPLIED', changes.install())
    ''').format(repo=REPO, before=before)
    proc = subprocess.run([sys.executable, '-c', script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={'PPDET_DEEPSORT_AUTOLOAD': '0', 'PATH': '/usr/bin:/bin'}, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    applied = eval(next(line for line in proc.stdout.splitlines() if line.startswith('APPLIED'))[len('APPLIED'):])
    return applied, [line for line in proc.stdout.splitlines() if 'not changing' in line]


def test_every_change_applies_to_the_ppdet_it_was_written_for():
    applied, warnings = adapter_in_fresh_process('')
    assert len(applied) == 9 and 'Tracker._eval_seq_sde' in applied and 'LCPAN.__init__' in applied and not warnings


def test_another_ppdet_release_is_left_unchanged_with_one_line_per_change():
    applied, warnings = adapter_in_fresh_process("ppdet.__version__ = '2.7.0'")
    assert applied == []
    assert len(warnings) == 9
    assert all('of ppdet 2.7.0 (' in line and 'written for ppdet 2.6.0' in line for line in warnings)
    assert any('Tracker._eval_seq_sde' in line for line in warnings)


def test_a_target_whose_signature_changed_is_left_unchanged():
    applied, warnings = adapter_in_fresh_process(
        'from ppdet.engine import Tracker\n'
        'Tracker.get_infer_images = lambda self, infer_dir, recursive=False: None')
    assert 'Tracker.get_infer_images' not in applied and len(applied) == 8
    assert len(warnings) == 1
    assert 'not changing Tracker.get_infer_images of ppdet 2.6.0' in warnings[0]
    assert 'found (self, infer_dir, recursive=False)' in warnings[0]


def test_a_picodet_built_twice_is_the_same_network():
    """ppdet's LCPAN appended a level to its default list at each build: the second PicoDet of a process had more
    layers than the first, whose weights then no longer loaded (the fenced LCPAN.__init__ change)."""
    from ppdet.core.workspace import create, load_config
    load_config(os.path.join(REPO, 'configs', 'mot', 'deepsort', 'picodet_s_320_lcnet_pedestrian.yml'))
    first, second = (sorted(create('PicoDet').state_dict()) for _ in range(2))
    assert first == second and len(first) > 400
