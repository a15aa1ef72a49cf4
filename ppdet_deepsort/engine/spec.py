"""What a run is, read once at the tool boundary and handed down: one frozen, typed object.

The plugin's tools build a :class:`RunSpec` from ppdet's config (YAML, ``_BASE_``, ``-o``) and their flags
(:mod:`ppdet_deepsort.adapter.spec`); the exported-model runner builds it from the exports' ``infer_cfg.yml`` and
PaddleDetection's flags. Nothing below the tools reads ppdet's config: the runner, the models and the tracker are
built from the spec, and ``--resume`` compares the spec's :meth:`RunSpec.digest`, in every tool alike.

The top-level config keys a run reads are the fields of :class:`RuntimeOptions`, :class:`PostProcess`,
:class:`DetectionFilter`, :class:`Schedule`, :class:`Counting` and :data:`WEIGHTS_KEYS` (:data:`TOP_LEVEL_KEYS`): a
config or an ``-o`` may set them, and no other top-level key a run does not read.
"""

import dataclasses
from typing import List, Literal, Optional, Tuple

import numpy as np

from ..checks import check_types, require
from ..counting import Counter, Line, Polygon
from ..data import MOTSequences
from ..errors import SequenceError
from ..inference.options import RuntimeOptions
from ..tracker.options import TrackerOptions
from . import manifest

__all__ = ['RunSpec', 'ModelSpec', 'DatasetSpec', 'Sources', 'PostProcess', 'DetectionFilter', 'Schedule', 'Counting',
           'TOP_LEVEL_KEYS',
           'WEIGHTS_KEYS']

WEIGHTS_KEYS = ('reid_weights', 'det_weights', 'weights')


def _check(section, spec):
    check_types(section, type(spec).__init__, {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)})


@dataclasses.dataclass(frozen=True)
class PostProcess:
    """How each sequence's tracks are post-processed and saved (top-level keys).

    Args:
        interpolate_max_gap (int): fill gaps of a track up to this many frames by linear interpolation; 0 is off.
        smooth_sigma (float): Gaussian smoothing of each track's boxes over this many frames; 0 is off.
        flush_interval (float): a live input's results are appended to ``{seq}.txt.partial`` at least this often
            (seconds).
        save_format (list[str]): besides the MOTChallenge file, the same rows with each frame's time, the class and
            whether the box was observed, predicted or interpolated: 'csv' (``mot_results/{seq}.csv``) and 'json'
            (JSON Lines, one object a row, ``mot_results/{seq}.jsonl``). The tools' ``--save_format``. Default [].
        metric (str): ppdet's key: 'MCMOT' (multi-class tracking) writes each track's class in the MOTChallenge
            file's eighth column, as ppdet's engine does; otherwise -1 is written there. Default 'MOT'.
    """

    interpolate_max_gap: int = 0
    smooth_sigma: float = 0.
    flush_interval: float = 5.
    save_format: List[Literal['csv', 'json']] = dataclasses.field(default_factory=list)
    metric: str = 'MOT'

    def __post_init__(self):
        _check('config', self)
        require('config', 'interpolate_max_gap', self.interpolate_max_gap >= 0, 'a number of frames >= 0',
                self.interpolate_max_gap)
        require('config', 'smooth_sigma', self.smooth_sigma >= 0, 'a number of frames >= 0', self.smooth_sigma)
        require('config', 'flush_interval', self.flush_interval > 0, 'seconds > 0', self.flush_interval)

    @property
    def interpolation(self):
        return self.interpolate_max_gap, float(self.smooth_sigma)

    @property
    def class_column(self):
        """Whether the MOTChallenge file holds each track's class (``metric: MCMOT``)."""
        return self.metric.upper() == 'MCMOT'


@dataclasses.dataclass(frozen=True)
class DetectionFilter:
    """Which of a detector's boxes are kept (top-level keys).

    Args:
        det_score_threshold (float): boxes scoring below this are dropped. Default 0.3.
        det_class_ids (list[int]): the classes kept; [] keeps every class. Default [0].
    """

    det_score_threshold: float = 0.3
    det_class_ids: List[int] = dataclasses.field(default_factory=lambda: [0])

    def __post_init__(self):
        _check('config', self)
        object.__setattr__(self, 'det_score_threshold', float(self.det_score_threshold))


@dataclasses.dataclass(frozen=True)
class Schedule:
    """On which frames the detections come (top-level key).

    Args:
        det_interval (int): detections (the detector's, or the saved ones) on every this many frames, the first
            included; on the frames between, the tracks move on their predicted way and are reported there (the
            annotated video marks those frames), the ReID model and the detector do not run, and the tracker's
            frame counts (``max_age``, ``n_init``) count detection frames. PP-Human's skip-frame idea for live input
            on a CPU; what it costs in HOTA and IDF1 per interval: docs/speed.md. Default 1 (every frame).
    """

    det_interval: int = 1

    def __post_init__(self):
        _check('config', self)
        require('config', 'det_interval', self.det_interval >= 1, 'a number of frames >= 1', self.det_interval)


@dataclasses.dataclass(frozen=True)
class Counting:
    """Counting people across a line or into an area, as PP-Tracking does (top-level keys, and the tools' flags of
    the same names). Each track counts by the path of its feet (its box's bottom centre), once per crossing: it must
    pass the boundary by a tenth of its height to change side (:mod:`ppdet_deepsort.counting`). Counts go to
    ``{output_dir}/mot_counts/{seq}.json`` and ``.csv`` (per interval and in total) and on the annotated video.

    Args:
        do_entrance_counting (bool): count the tracks crossing the entrance line, in and out. Default False.
        do_break_in_counting (bool): count the tracks entering the area ``region_polygon``. Default False.
        region_type (str): the entrance line: 'horizontal' (across the frame's middle; in = moving down),
            'vertical' (down the middle; in = moving right) or 'custom' (``region_polygon``: two points x0, y0, x1, y1
            for a line, in = onto its right-hand side walking from the first to the second; three or more for the
            break-in area). Default 'horizontal'.
        region_polygon (list[int]): the custom line's two points or the area's corners, x0, y0, x1, y1, ...
            (pixels). Default [].
        secs_interval (float): the counting interval in seconds (per-interval rows; also the distinct ids seen in
            each). Default 2.
        draw_center_traj (bool): draw each track's whole path on the annotated frames (else its last 30 frames).
            Default False.
    """

    do_entrance_counting: bool = False
    do_break_in_counting: bool = False
    region_type: Literal['horizontal', 'vertical', 'custom'] = 'horizontal'
    region_polygon: List[int] = dataclasses.field(default_factory=list)
    secs_interval: float = 2.
    draw_center_traj: bool = False

    def __post_init__(self):
        _check('config', self)
        require('config', 'secs_interval', self.secs_interval > 0, 'seconds > 0', self.secs_interval)
        points = len(self.region_polygon)
        require('config', 'region_polygon', points % 2 == 0, 'x, y pairs (an even count)', self.region_polygon)
        if self.do_entrance_counting and self.region_type == 'custom':
            require('config', 'region_polygon', points == 4, "two points x0, y0, x1, y1 for the entrance line "
                    "(region_type: custom)", self.region_polygon)
        if self.do_break_in_counting:
            require('config', 'region_polygon', points >= 6, 'at least three corners x0, y0, x1, y1, x2, y2 of the '
                    'break-in area', self.region_polygon)
            require('config', 'do_entrance_counting', not (self.do_entrance_counting and
                                                           self.region_type == 'custom'),
                    'false with do_break_in_counting (region_polygon is the area, so the entrance line cannot be '
                    'custom)', self.do_entrance_counting)

    @property
    def active(self):
        return self.do_entrance_counting or self.do_break_in_counting

    def counter(self, seq):
        """A :class:`ppdet_deepsort.counting.Counter` for ``seq`` (its frame rate and size), or None."""
        if not self.active:
            return None
        if self.do_entrance_counting and self.region_type != 'custom' and seq.im_size is None:
            if not seq.has_pixels:
                raise SequenceError("{}: a {} entrance line needs the frame size, which the sequence does not give "
                                    "(no frames, no imWidth/imHeight in seqinfo.ini); set region_type: custom and "
                                    "region_polygon".format(seq.name, self.region_type))
            return Counter(self.regions, seq.frame_rate, self.secs_interval)  # placed on the first frame
        return Counter(self.regions(*(seq.im_size or (None, None))), seq.frame_rate, self.secs_interval)

    def regions(self, width=None, height=None):
        """{name: region} of a frame of ``width`` x ``height`` (needed by a horizontal or vertical line only)."""
        regions = {}
        if self.do_entrance_counting:
            if self.region_type == 'custom':
                start, end = self.region_polygon[:2], self.region_polygon[2:4]
            else:
                width, height = float(width), float(height)
                start, end = (((0, height / 2), (width, height / 2)) if self.region_type == 'horizontal' else
                              ((width / 2, height), (width / 2, 0)))
            regions['entrance'] = Line(start, end)
        if self.do_break_in_counting:
            regions['break_in'] = Polygon(np.reshape(self.region_polygon, (-1, 2)))
        return regions


TOP_LEVEL_KEYS = tuple(f.name for cls in (RuntimeOptions, PostProcess, DetectionFilter, Schedule, Counting)
                       for f in dataclasses.fields(cls)) + WEIGHTS_KEYS


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A model of the run: a registered ppdet component with its weights, or an exported model.

    Args:
        name (str): the registered component (``OSNetEmbedding``, ``YOLOv3``, ...) or the export's folder name.
        keys (dict): what the config (or the export's ``infer_cfg.yml``) says about it, for the digest.
        weights (str or None): the local weights file of a registered component.
        export_dir (str or None): the folder of an exported model.
        fingerprint (str): digest of the weights or of the exported model's files.
    """

    name: str
    keys: dict
    weights: Optional[str] = None
    export_dir: Optional[str] = None
    fingerprint: str = ''


@dataclasses.dataclass(frozen=True)
class Sources:
    """Where the sequences come from: the dataset folder, videos or streams (``--video_file``, ``--video_dir``),
    a camera (``--camera``) or one folder of frames (``--image_dir``)."""

    videos: Tuple[str, ...] = ()
    camera: Optional[int] = None
    images: Optional[str] = None
    frame_rate: int = -1

    def open(self, sequences):
        """Set these sources on ``sequences`` (a :class:`MOTSequences`)."""
        if self.videos:
            sequences.set_videos(list(self.videos), self.frame_rate)
        elif self.camera is not None:
            sequences.set_camera(self.camera, self.frame_rate)
        elif self.images is not None:
            sequences.set_images(self.images, self.frame_rate)
        return sequences


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """The sequences and their saved detections: the keys of a ``MOTDetResultsDataset`` block (the constructor
    arguments of :class:`ppdet_deepsort.data.MOTSequences`, which checks them) and the tool's sources."""

    keys: dict = dataclasses.field(default_factory=dict)
    sources: Sources = Sources()

    def __post_init__(self):
        MOTSequences(**self.keys)  # a bad key or value fails here, by name

    @property
    def det_results_dir(self):
        return self.keys.get('det_results_dir', '')

    def sequences(self, kind=MOTSequences):
        """The sequences to track, as ``kind`` (:class:`MOTSequences` or the ppdet-facing dataset)."""
        return self.sources.open(kind(**self.keys))


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything a run of the tools depends on.

    Args:
        mode (str): 'eval' (sequences with ground truth are scored) or 'test'.
        tracker (TrackerOptions): the tracker's keys.
        reid (ModelSpec or None): the ReID model; None tracks on motion alone.
        detector (ModelSpec or None): the detector; None uses the dataset's saved detections.
        detection_filter (DetectionFilter): the detector's score threshold and classes.
        runtime (RuntimeOptions): how the models run.
        dataset (DatasetSpec): the sequences and their saved detections.
        post (PostProcess): offline post-processing and the live flush interval.
        schedule (Schedule): on which frames detections come.
        counting (Counting): counting lines and areas (extra outputs: the results do not depend on them).
    """

    mode: str
    tracker: TrackerOptions
    reid: Optional[ModelSpec]
    detector: Optional[ModelSpec]
    runtime: RuntimeOptions
    dataset: DatasetSpec
    post: PostProcess = PostProcess()
    detection_filter: DetectionFilter = DetectionFilter()
    schedule: Schedule = Schedule()
    counting: Counting = Counting()

    def __post_init__(self):
        require('run', 'mode', self.mode in ('eval', 'test'), "'eval' or 'test'", self.mode)
        self.tracker.check_mode(self.with_appearance)

    @property
    def with_appearance(self):
        """Whether the tracker gets appearance embeddings (a ReID model) or tracks on motion alone."""
        return self.reid is not None

    def digest(self):
        """What the results depend on besides each sequence's inputs, as a hex digest: the tracker's keys, the models
        (their keys and the digest of their weights or files), how they run, the detection filter, the dataset's
        filters and the post-processing, and the counts and tables asked for. ``--resume`` compares it with the one a
        result file's manifest holds."""
        models = {part: None if model is None else {'name': model.name, 'keys': model.keys,
                                                    'fingerprint': model.fingerprint}
                  for part, model in (('reid', self.reid), ('detector', self.detector))}
        settings = {'tracker': dataclasses.asdict(self.tracker), 'models': models,
                    'runtime': {key: self.runtime.backend(key) for key in ('reid_backend', 'det_backend')},
                    'precision': [self.runtime.reid_precision, self.runtime.det_precision],
                    'detection_filter': dataclasses.asdict(self.detection_filter) if self.detector else None,
                    'dataset': {key: self.dataset.keys.get(key) for key in ('min_score', 'skip_invalid_rows')},
                    'interpolation': list(self.post.interpolation)}
        if self.schedule.det_interval != 1:  # digests of runs with every frame detected stay as they were
            settings['det_interval'] = self.schedule.det_interval
        # Counts and tables are outputs a finished sequence must have too: asking for them tracks it again.
        if self.counting.active:
            settings['counting'] = dataclasses.asdict(self.counting)
        if self.post.save_format:
            settings['save_format'] = sorted(self.post.save_format)
        if self.post.class_column:
            settings['class_column'] = True
        return manifest.run_digest(settings)
