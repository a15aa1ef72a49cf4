"""The ReID networks that need no ppdet code, in ppdet's registry (``PCBPyramidEmbedding`` is built on ppdet's ResNet
and registered in :mod:`.pcb_pyramid`)."""

from ppdet.core.workspace import register

from ..reid.osnet import OSNetEmbedding

__all__ = ['OSNetEmbedding']

register(OSNetEmbedding)
