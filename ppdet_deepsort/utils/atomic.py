"""All-or-nothing file writes: readers see the old file or the complete new one, never a torn one."""

import contextlib
import errno
import os
import tempfile

from ..errors import OutputError

__all__ = ['atomic_write', 'output_error']

_UMASK = os.umask(0)
os.umask(_UMASK)


def output_error(path, error):
    """The :class:`OutputError` for an ``OSError`` met writing ``path``: its file and its cause, in one line."""
    if isinstance(error, OutputError):
        return error
    if error.errno in errno.errorcode:  # strerror is None for some failed writes (EFBIG from a buffered file)
        cause = '{} ({})'.format(os.strerror(error.errno), errno.errorcode[error.errno])
    else:
        cause = error.strerror or str(error)
    out = OutputError('cannot write {}: {}'.format(path, cause))
    out.errno, out.filename = error.errno, path
    return out


@contextlib.contextmanager
def atomic_write(path, mode='w', durable=True, **kwargs):
    """Open a temporary file beside ``path``; on success it replaces ``path``, on error it is removed.

    ``durable`` syncs the file to the disk before the rename, so that a crash of the machine cannot leave an empty
    file in its place; per-frame images skip it (their loss costs a re-run, not a wrong result).

    Raises:
        OutputError: the file cannot be written (it names ``path`` and the cause, e.g. ENOSPC); the old file, if
            any, is left as it was.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=directory)
    except OSError as e:
        raise output_error(path, e) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        if isinstance(e, OSError):
            raise output_error(path, e) from None
        raise
