"""Running the tools' models: one runtime layer (dygraph, paddle.inference, ONNX Runtime) for the ReID models
and the detectors, chosen by the config's runtime keys (:class:`RuntimeOptions`)."""

from .options import RuntimeOptions

__all__ = ['RuntimeOptions']
