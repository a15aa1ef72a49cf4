from .classifier import ReIDClassifier
from .osnet import OSNetEmbedding
from .pcb_pyramid import PCBPyramidEmbedding

__all__ = ['OSNetEmbedding', 'PCBPyramidEmbedding', 'ReIDClassifier']
