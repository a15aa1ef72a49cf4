"""What tracking one sequence leaves on disk, in PaddleDetection's layout::

    {output_dir}/mot_results/{seq}.txt            MOTChallenge results: frame,id,x,y,w,h,score,-1,-1,-1
    {output_dir}/mot_outputs/{seq}/00000.jpg      annotated frames (--save_images), named by 0-based frame
    {output_dir}/mot_outputs/{seq}_vis.mp4        annotated video (--save_videos)
    {output_dir}/mot_manifests/{seq}.json         what the results were computed from (written by the runner,
                                                  read by --resume, see :mod:`.manifest`)

The results file appears only when the sequence finished, complete (written atomically). When it fails,
what was tracked is kept as ``{seq}.txt.partial`` and ``{seq}_vis.partial.mp4`` instead, so nothing is
lost and no truncated file can pass for a result.
"""

import os

import cv2
import numpy as np
from ppdet.utils.logger import setup_logger

from ..utils.atomic import atomic_write
from ..utils.visualize import TrackDrawer

logger = setup_logger(__name__)

__all__ = ['SequenceOutputs', 'write_mot_results']


def write_mot_results(path, results):
    """Write {frame id: (ids, tlwh, scores)} as a MOTChallenge file, frames in order, atomically."""
    with atomic_write(path) as f:
        for frame_id in sorted(results):
            ids, tlwhs, scores = results[frame_id]
            for track_id, (x, y, w, h), score in zip(ids.tolist(), tlwhs.tolist(), scores.tolist()):
                f.write('{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.4f},-1,-1,-1\n'.format(
                    frame_id, track_id, x, y, w, h, score))


class SequenceOutputs:
    """Collects one sequence's tracks and annotated frames; :meth:`commit` or :meth:`abort` at the end."""

    def __init__(self, output_dir, seq_name, frame_rate, save_images=False, save_videos=False, trail=30):
        self.result_path = self.result_file(output_dir, seq_name)
        self.vis_dir = os.path.join(output_dir, 'mot_outputs', seq_name)
        self.video_path = os.path.join(output_dir, 'mot_outputs', seq_name + '_vis.mp4')
        self._video_tmp = os.path.join(output_dir, 'mot_outputs', '.' + seq_name + '_vis.tmp.mp4')
        self.save_images, self.save_videos = save_images, save_videos
        self.frame_rate = frame_rate
        self.by_frame = {}  # frame id -> (ids, tlwh, scores) of the reported tracks
        self._drawer = TrackDrawer(trail) if save_images or save_videos else None
        self._writer = None
        os.makedirs(os.path.dirname(self.result_path), exist_ok=True)
        if save_images:
            os.makedirs(self.vis_dir, exist_ok=True)
        if save_videos:
            os.makedirs(os.path.dirname(self.video_path), exist_ok=True)

    @staticmethod
    def result_file(output_dir, seq_name):
        return os.path.join(output_dir, 'mot_results', seq_name + '.txt')

    @property
    def wants_frames(self):
        return self._drawer is not None

    def add(self, frame_id, ids, tlwhs, scores):
        """Record one frame's reported tracks."""
        self.by_frame[frame_id] = (np.asarray(ids, np.int64), np.asarray(tlwhs, np.float64).reshape(-1, 4),
                                   np.asarray(scores, np.float64))

    def draw(self, frame_id, image, ids, tlwhs, scores, fps=None):
        """Save the frame annotated with the given tracks (as image and/or video frame)."""
        annotated = self._drawer.draw(image, frame_id, ids, tlwhs, scores, fps=fps)
        if self.save_images:
            path = os.path.join(self.vis_dir, '{:05d}.jpg'.format(frame_id - 1))
            if not cv2.imwrite(path, annotated):
                raise OSError("cannot write {}".format(path))
        if self.save_videos:
            if self._writer is None:
                height, width = annotated.shape[:2]
                self._writer = cv2.VideoWriter(self._video_tmp, cv2.VideoWriter_fourcc(*'mp4v'),
                                               float(self.frame_rate), (width, height))
                if not self._writer.isOpened():
                    raise OSError("cannot open a video writer for {}".format(self._video_tmp))
            self._writer.write(annotated)

    def commit(self):
        """The sequence finished: write the results file and move the video into place."""
        write_mot_results(self.result_path, self.by_frame)
        logger.info("MOT results saved in {}".format(self.result_path))
        if self._writer is not None:
            self._writer.release()
            os.replace(self._video_tmp, self.video_path)
            logger.info("Video saved in {}".format(self.video_path))

    def abort(self):
        """The sequence failed: keep what was tracked under ``.partial`` names (if anything was)."""
        if self._writer is not None:
            self._writer.release()
            video = self.video_path[:-len('.mp4')] + '.partial.mp4'
            os.replace(self._video_tmp, video)
            logger.warning("Partial video kept in {}".format(video))
        if self.by_frame:
            partial = self.result_path + '.partial'
            write_mot_results(partial, self.by_frame)
            logger.warning("Results of the {} frames tracked before the error kept in {}".format(
                len(self.by_frame), partial))
