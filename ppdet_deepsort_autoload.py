"""Registers ppdet-deepsort's components in ppdet whenever a program imports ppdet, with no import in the program.

ppdet has no plugin entry point, so the installed ``ppdet_deepsort_autoload.pth`` calls :func:`install` at Python
start-up (unless ``PPDET_DEEPSORT_AUTOLOAD`` is 0, false, no or off); ``import ppdet_deepsort`` calls it too. That
adds one import finder and imports nothing else: a program that never imports ppdet pays for this small module
only. When a program imports ppdet, the finder lets ppdet's own import run and then imports
``ppdet_deepsort.adapter``, which registers the components. ``ppdet.core.workspace``, the registry, is imported by
``ppdet/__init__.py`` itself; waiting for that file to finish, rather than for the registry module alone, lets the
plugin import the rest of ppdet without meeting a half-initialized package.

This module is outside the ``ppdet_deepsort`` package so that the start-up hook runs no package ``__init__``.
"""

import sys

__all__ = ['install']

_HOST = 'ppdet'
_PLUGIN = 'ppdet_deepsort.adapter'


class _AfterHostImport:
    """A meta-path finder that changes nothing about how ppdet is found; it only asks to be told when ppdet's
    ``__init__`` has run, then leaves ``sys.meta_path``."""

    def find_spec(self, name, path=None, target=None):
        if name != _HOST:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target) if hasattr(finder, 'find_spec') else None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, 'exec_module'):
            return spec
        exec_host = loader.exec_module

        def exec_module(module):
            exec_host(module)
            _register()

        loader.exec_module = exec_module  # this loader instance serves ppdet/__init__.py alone
        return spec


def _register():
    try:
        __import__(_PLUGIN)
    except Exception as e:  # reported, not raised: ppdet itself stays usable when the plugin is broken
        sys.stderr.write("ppdet-deepsort: its components could not be registered in ppdet ({}: {}); set "
                         "PPDET_DEEPSORT_AUTOLOAD=0 to stop trying\n".format(type(e).__name__, e))


def install():
    """Register the plugin once ppdet is imported (at once if it already is)."""
    if sys.modules.get(_HOST) is not None:  # None: a program that blocks ppdet's import
        _register()
    elif not any(isinstance(finder, _AfterHostImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterHostImport())
