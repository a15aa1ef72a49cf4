from .mot_metrics import GroundTruth, evaluate_sequence, render_summary, save_summary, summarize

__all__ = ['GroundTruth', 'evaluate_sequence', 'summarize', 'render_summary', 'save_summary']
