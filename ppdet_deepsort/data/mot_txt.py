"""Comma-separated MOT text files (detections, ground truth, results): numeric rows, with line numbers
for error messages."""

import os

import numpy as np

from ..errors import MOTFileError

__all__ = ['read_rows', 'read_mot_results', 'reject_rows', 'reject_repeated_ids']


def read_rows(path, allowed_columns, expected):
    """Parse every non-blank line of ``path`` into floats.

    Args:
        allowed_columns (tuple[int]): column counts accepted for the first line; all lines must match it.
        expected (str): what the columns should be, for the error message.

    Returns:
        (table N x C float64 array or None if the file has no rows, line numbers N, line texts N)
    """
    # utf-8-sig: files written by Windows tools start with a byte order mark, which is not part of the number.
    with open(path, 'r', encoding='utf-8-sig', errors='replace') as f:
        lines = f.read().splitlines()
    numbers = [n for n, line in enumerate(lines, start=1) if line.strip()]
    texts = [lines[n - 1].strip().rstrip(',') for n in numbers]
    if not texts:
        return None, [], []
    # Fast path: one conversion of all fields at once; any irregularity is found and worded line by line below.
    widths = {text.count(',') for text in texts}
    if len(widths) == 1 and widths.pop() + 1 in allowed_columns:
        try:
            table = np.array(','.join(texts).split(','), dtype=np.float64).reshape(len(texts), -1)
            return table, numbers, texts
        except ValueError:
            pass
    return _parse_lines(path, numbers, texts, allowed_columns, expected), numbers, texts


def _parse_lines(path, numbers, texts, allowed_columns, expected):
    """Line by line, raising the MOTFileError that names the first bad line."""
    ncols, rows = None, []
    for number, text in zip(numbers, texts):
        fields = [field.strip() for field in text.split(',')]
        if ncols is None:
            ncols = len(fields)
            if ncols not in allowed_columns:
                raise MOTFileError("{}:{}: {} comma-separated columns; expected {} (line: '{}')".format(
                    path, number, ncols, expected, text))
        elif len(fields) != ncols:
            raise MOTFileError("{}:{}: {} columns where the lines above have {} (line: '{}')".format(
                path, number, len(fields), ncols, text))
        bad = next((field for field in fields if not _is_number(field)), None)
        if bad is not None:
            raise MOTFileError("{}:{}: '{}' is not a number (line: '{}')".format(path, number, bad, text))
        rows.append([float(field) for field in fields])
    return np.array(rows, dtype=np.float64)


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_mot_results(path):
    """A MOTChallenge results file (``frame,id,x,y,w,h,score[,...]``, ours or any tracker's) as
    ``{frame id: (ids, tlwh, scores)}``, rows of a frame in file order.

    Raises:
        MOTFileError: naming the file and line: a missing file, a frame that is not an integer >= 1, an id
            that is not an integer, NaN/inf in a box, or an id given twice in one frame (which no evaluator
            can score).
    """
    if not os.path.isfile(path):
        raise MOTFileError("results file not found: {}".format(path))
    table, numbers, texts = read_rows(path, (7, 8, 9, 10), 'MOTChallenge results frame,id,x,y,w,h,score[,...]')
    if table is None:
        return {}
    frame, ids = table[:, 0], table[:, 1]
    reject_rows(path, numbers, texts, [
        ((frame != np.round(frame)) | ~(frame >= 1), 'frame must be an integer >= 1'),
        (ids != np.round(ids), 'id must be an integer'),
        (~np.isfinite(table[:, 2:7]).all(axis=1), 'NaN or inf in box or score'),
    ])
    frame, ids = frame.astype(np.int64), ids.astype(np.int64)
    reject_repeated_ids(path, numbers, texts, frame, ids)
    order = np.argsort(frame, kind='stable')
    frame, ids, table = frame[order], ids[order], table[order]
    starts = np.flatnonzero(np.r_[True, frame[1:] != frame[:-1]])
    ends = np.r_[starts[1:], len(frame)]
    return {int(frame[a]): (ids[a:b], table[a:b, 2:6], table[a:b, 6]) for a, b in zip(starts.tolist(), ends.tolist())}


def reject_rows(path, numbers, texts, problems):
    """Raise a MOTFileError naming the first row that has one of ``problems`` ([(row mask, what), ...])."""
    for bad, what in problems:
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise MOTFileError("{}:{}: {} (line: '{}')".format(path, numbers[first], what, texts[first]))


def reject_repeated_ids(path, numbers, texts, frame, ids):
    """Raise a MOTFileError naming the first row whose id already appears in its frame: no evaluator can
    score a track that is in two places at once."""
    order = np.lexsort((ids, frame))
    repeated = (frame[order][1:] == frame[order][:-1]) & (ids[order][1:] == ids[order][:-1])
    if repeated.any():
        row = int(order[1:][repeated][0])
        raise MOTFileError("{}:{}: id {} appears twice in frame {} (line: '{}')".format(
            path, numbers[row], ids[row], frame[row], texts[row]))
