"""Person re-identification networks in paddle (the PCB Pyramid one, built on ppdet's ResNet, is
:mod:`ppdet_deepsort.adapter.pcb_pyramid`)."""

from .osnet import OSNetEmbedding

__all__ = ['OSNetEmbedding']
