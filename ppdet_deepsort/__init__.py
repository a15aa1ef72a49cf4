"""DeepSORT for PaddleDetection.

Importing this package is cheap: it imports neither paddle nor ppdet. Its core (``ppdet_deepsort.tracker``,
``ppdet_deepsort.metrics``, ``ppdet_deepsort.data``, ``ppdet_deepsort.boxes``) needs only NumPy, SciPy and OpenCV.
The components are registered in ppdet's registry by :mod:`ppdet_deepsort.adapter`, the only code that imports
ppdet: at once when ppdet is already imported, else as soon as it is (the installed start-up hook does the same
for programs that never import this package).
"""

import ppdet_deepsort_autoload

__version__ = '0.1.0'

ppdet_deepsort_autoload.install()
