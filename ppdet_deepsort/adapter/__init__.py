"""The ppdet adapter: the only part of the plugin that imports ppdet.

Importing it registers the plugin's components in ppdet's registry (``ppdet.core.workspace``), points the plugin's
log at ppdet's log format, and applies the fenced changes to ppdet's engine (:mod:`.engine_changes`). The start-up
hook and ``import ppdet_deepsort`` import it when ppdet is imported.
"""

import contextlib
import io
import sys
import warnings

# paddle warns about a missing C++ compiler cache and ppdet 2.6 prints a hint about numba (used only by
# its own trackers) at import; neither concerns this plugin, and the print would corrupt JSON output.
warnings.filterwarnings('ignore', message='No ccache found')
_stdout = io.StringIO()
with contextlib.redirect_stdout(_stdout):
    import ppdet  # noqa: F401,E402
sys.stdout.write(''.join(line for line in _stdout.getvalue().splitlines(True) if 'numba' not in line))

from ppdet.utils.logger import setup_logger  # noqa: E402

from .cli import move_log_handlers  # noqa: E402

move_log_handlers(_stdout, sys.stdout)  # the loggers ppdet set up meanwhile hold the stand-in stdout
setup_logger('ppdet_deepsort')  # the plugin's modules log through the standard logging module, under this name

from . import (classifier, datasets, identity_crops, models, pcb_pyramid, reid_transforms,  # noqa: E402,F401
               tracker)  # (registers the components)
from .engine_changes import install as _install_engine_changes  # noqa: E402

_install_engine_changes()  # so that ppdet's own engine runs them (PaddleDetection's tools)
