"""The result files of the tools (and of PaddleDetection's own eval_mot.py) on the dev split are byte for byte those
of the commit before the core / adapter redesign (issue 28): tests/data/reference_digests.json, written by
tests/reference_runs.py on that commit."""

import json
import os

import pytest
import reference_runs
from conftest import DATA

REFERENCE = json.load(open(os.path.join(DATA, 'reference_digests.json')))


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(REFERENCE))
def test_result_files_are_unchanged(name, tmp_path):
    if name.startswith('paddledetection') and not os.path.isdir(reference_runs.PADDLEDETECTION):
        pytest.skip('needs PaddleDetection 2.6.0\'s own tools in {}'.format(reference_runs.PADDLEDETECTION))
    assert reference_runs.run(name, str(tmp_path)) == REFERENCE[name]
