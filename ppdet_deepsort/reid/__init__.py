from .osnet import OSNetEmbedding

__all__ = ['OSNetEmbedding']
