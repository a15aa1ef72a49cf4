"""Comma-separated MOT text files (detections, ground truth, results): numeric rows, with line numbers
for error messages."""

import numpy as np

__all__ = ['MOTFileError', 'read_rows']


class MOTFileError(ValueError):
    """A MOT text file cannot be used; the message names the file, the line and the problem."""


def read_rows(path, allowed_columns, expected):
    """Parse every non-blank line of ``path`` into floats.

    Args:
        allowed_columns (tuple[int]): column counts accepted for the first line; all lines must match it.
        expected (str): what the columns should be, for the error message.

    Returns:
        (table N x C float64 array or None if the file has no rows, line numbers N, line texts N)
    """
    rows, numbers, texts = [], [], []
    ncols = None
    with open(path, 'r', encoding='utf-8', errors='replace') as f:
        for number, text in enumerate(f, start=1):
            text = text.strip()
            if not text:
                continue
            fields = [field.strip() for field in text.rstrip(',').split(',')]
            if ncols is None:
                ncols = len(fields)
                if ncols not in allowed_columns:
                    raise MOTFileError("{}:{}: {} comma-separated columns; expected {} (line: '{}')".format(
                        path, number, ncols, expected, text))
            elif len(fields) != ncols:
                raise MOTFileError("{}:{}: {} columns where the lines above have {} (line: '{}')".format(
                    path, number, len(fields), ncols, text))
            try:
                rows.append([float(field) for field in fields])
            except ValueError:
                bad = next(field for field in fields if not _is_number(field))
                raise MOTFileError("{}:{}: '{}' is not a number (line: '{}')".format(path, number, bad, text)) \
                    from None
            numbers.append(number)
            texts.append(text)
    table = np.array(rows, dtype=np.float64) if rows else None
    return table, numbers, texts


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
