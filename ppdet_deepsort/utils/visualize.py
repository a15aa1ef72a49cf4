"""Drawing tracks on frames: a box and id per track in a colour that stays with the id, and a short trail
of where the track's feet have been."""

import colorsys
from collections import deque

import cv2
import numpy as np


def id_color(track_id):
    """A BGR colour for an id: hues spread by the golden ratio, so neighbouring ids look different."""
    hue = (track_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


class TrackDrawer:
    """Annotates frames of one sequence.

    Args:
        trail (int): frames of history drawn behind each track (0: no trail).
    """

    def __init__(self, trail=30):
        self.trail = trail
        self._history = {}  # track id -> deque of (frame id, foot point)

    def draw(self, image, frame_id, ids, tlwhs, scores=None, fps=None, predicted=False):
        """Return an annotated copy of ``image`` (BGR). ``predicted``: the boxes are the tracks' predictions on a
        frame without detections, drawn thin and said so in the header."""
        im = image.copy()
        scale = max(0.5, im.shape[1] / 1600.)
        thickness = max(1, int(round(im.shape[1] / 600.)))
        for track_id, tlwh in zip(np.asarray(ids).tolist(), np.asarray(tlwhs)):
            x, y, w, h = tlwh
            foot = (int(x + w / 2), int(y + h))
            history = self._history.setdefault(track_id, deque(maxlen=max(1, self.trail)))
            history.append((frame_id, foot))
        for track_id in [t for t, h in self._history.items() if frame_id - h[-1][0] > self.trail]:
            del self._history[track_id]

        for track_id in np.asarray(ids).tolist():  # trails of the tracks shown in this frame
            points = [p for f, p in self._history[track_id] if frame_id - f <= self.trail]
            if self.trail and len(points) > 1:
                cv2.polylines(im, [np.array(points, np.int32)], False, id_color(track_id), thickness, cv2.LINE_AA)
        for i, (track_id, tlwh) in enumerate(zip(np.asarray(ids).tolist(), np.asarray(tlwhs))):
            x, y, w, h = tlwh
            color = id_color(track_id)
            cv2.rectangle(im, (int(x), int(y)), (int(x + w), int(y + h)), color, 1 if predicted else thickness)
            label = str(track_id) if scores is None else '{} {:.2f}'.format(track_id, float(scores[i]))
            (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, thickness)
            top = max(int(y) - th - base - 2, 0)
            cv2.rectangle(im, (int(x), top), (int(x) + tw + 2, top + th + base + 2), color, -1)
            cv2.putText(im, label, (int(x) + 1, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, (0, 0, 0),
                        thickness, cv2.LINE_AA)
        header = 'frame {}{}  tracks {}'.format(frame_id, ' (predicted)' if predicted else '', len(ids))
        header += '  {:.1f} fps'.format(fps) if fps else ''
        (tw, th), base = cv2.getTextSize(header, cv2.FONT_HERSHEY_SIMPLEX, scale * 0.7, thickness)
        cv2.rectangle(im, (0, 0), (tw + 12, th + base + 10), (0, 0, 0), -1)
        cv2.putText(im, header, (6, th + 5), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.7, (255, 255, 255), thickness,
                    cv2.LINE_AA)
        return im


def draw_regions(image, regions, lines):
    """Draw counting lines and areas (``regions``: :mod:`ppdet_deepsort.counting` regions, each with ``points()``)
    on ``image`` in place, and ``lines`` of text (their counts) under the frame's header."""
    thickness = max(2, int(round(image.shape[1] / 500.)))
    scale = max(0.5, image.shape[1] / 1600.)
    for region in regions:
        points = np.round(region.points()).astype(np.int32)
        closed = len(points) > 2
        cv2.polylines(image, [points], closed, (0, 0, 255), thickness, cv2.LINE_AA)
        if not closed:  # the side that counts as in
            start, end = points.astype(np.float64)
            middle, direction = (start + end) / 2, end - start
            normal = np.array([-direction[1], direction[0]]) / max(np.hypot(*direction), 1e-9)
            tip = middle + normal * 12 * thickness
            cv2.arrowedLine(image, tuple(int(v) for v in middle), tuple(int(v) for v in tip), (0, 0, 255), thickness,
                            cv2.LINE_AA, tipLength=0.4)
    (_, th), base = cv2.getTextSize('Ag', cv2.FONT_HERSHEY_SIMPLEX, scale * 0.7, thickness)
    top = 2 * (th + base + 10)
    for k, text in enumerate(lines):
        y = top + k * (th + base + 8)
        (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale * 0.7, thickness)
        cv2.rectangle(image, (0, y - th - 4), (tw + 12, y + base + 4), (0, 0, 0), -1)
        cv2.putText(image, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.7, (255, 255, 255), thickness, cv2.LINE_AA)
