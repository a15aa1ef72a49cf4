"""DeepSORT for PaddleDetection: importing this package registers its components in ppdet."""

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
from .utils.cli import move_log_handlers  # noqa: E402

move_log_handlers(_stdout, sys.stdout)  # the loggers ppdet set up meanwhile hold the stand-in stdout

from . import data, reid, tracker  # noqa: F401,E402  (registers the components)
from .engine import ppdet_engine  # noqa: E402

ppdet_engine.install()  # so that ppdet's own engine runs them (PaddleDetection's tools)

__version__ = '0.1.0'
