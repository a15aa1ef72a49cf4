from .infer_cfg import read_detector_infer_cfg, read_reid_infer_cfg, write_detector_infer_cfg, write_reid_infer_cfg

__all__ = ['read_reid_infer_cfg', 'write_reid_infer_cfg', 'read_detector_infer_cfg', 'write_detector_infer_cfg']
