"""Saving models as static inference models on paddle 3.x, which ppdet 2.6's ``Trainer.export`` cannot do
there ("Can't call main_program when full_graph=False"): ``paddle.jit.to_static(full_graph=True)`` and
``paddle.jit.save``.

A detector is traced from a copy of it, and what tracing it needs changed in ppdet's layers (the NMS and JDE's
anchors) is changed on that copy's own objects, found by their class names, so that nothing here imports ppdet
and nothing outside the copy changes."""

import contextlib
import copy
import os
import types

import numpy as np
import paddle
import paddle.nn.functional as F
from paddle.static import InputSpec

__all__ = ['export_reid', 'export_detector', 'MODEL_PREFIX']

MODEL_PREFIX = 'model'


def export_reid(layer, input_size, output_dir):
    """Save ``layer`` (N x 3 x H x W -> N x D) to ``output_dir/model.*`` with the input named ``crops``.

    Args:
        input_size (list[int]): crop size [w, h]; the batch size stays free.

    Returns:
        the path prefix of the saved model.
    """
    width, height = input_size
    layer = _static_copy(layer)
    static = paddle.jit.to_static(layer, input_spec=[InputSpec([None, 3, height, width], 'float32', 'crops')],
                                  full_graph=True)
    os.makedirs(output_dir, exist_ok=True)
    prefix = os.path.join(output_dir, MODEL_PREFIX)
    paddle.jit.save(static, prefix)
    return prefix


def _static_copy(layer):
    """An eval-mode copy to convert: ``paddle.jit.to_static`` rewrites a layer's forward in place, which
    would leave the caller's dygraph model running the static function."""
    layer = copy.deepcopy(layer)
    layer.eval()
    return layer


class _StaticMultiClassNMS:
    """ppdet's MultiClassNMS for paddle 3's static graphs: ppdet 2.6 only calls the ``multiclass_nms3`` op
    in dygraph and otherwise builds it through the pre-PIR LayerHelper, which PIR rejects. Same op, same
    attributes, called the way both modes accept."""

    def __init__(self, nms):
        self.nms = nms

    def __call__(self, bboxes, score, background_label=-1):
        n = self.nms
        out, index, rois_num = paddle._C_ops.multiclass_nms3(bboxes, score, None, n.score_threshold, n.nms_top_k,
                                                             n.keep_top_k, n.nms_threshold, n.normalized, n.nms_eta,
                                                             background_label)
        return out, rois_num, index


def _held(layer, class_name):
    """(owner, attribute, object) of every object of the ppdet class ``class_name`` that ``layer`` or one of its
    sublayers holds as an attribute (ppdet's post-processes hold their NMS and box decoder so)."""
    return [(owner, name, value) for owner in layer.sublayers(include_self=True)
            for name, value in list(vars(owner).items()) if type(value).__name__ == class_name]


def _static_nms(layer):
    """Swap every ppdet MultiClassNMS held by ``layer`` (a copy to trace) for the static-graph one."""
    for owner, name, value in _held(layer, 'MultiClassNMS'):
        setattr(owner, name, _StaticMultiClassNMS(value))


@contextlib.contextmanager
def _onednn_safe_upsampling():
    """Trace whole-number nearest upsampling (the FPN and PAN necks' ``F.interpolate(x, scale_factor=2.)``) as
    a broadcast and a reshape, which give the same values: paddle 3.3's oneDNN executor cannot run
    ``nearest_interp`` at all (it does not convert the op's float64 ``scale`` attribute, whatever its value),
    so a model holding one fails at its first run with oneDNN on."""
    interpolate = F.interpolate

    def upsample(x, size=None, scale_factor=None, mode='nearest', align_corners=False, align_mode=0,
                 data_format='NCHW', name=None, **more):  # more: nn.Upsample passes recompute_scale_factor
        if (mode == 'nearest' and size is None and data_format == 'NCHW' and isinstance(scale_factor, (int, float))
                and scale_factor == int(scale_factor) >= 1 and all(d > 0 for d in x.shape[1:])):
            s = int(scale_factor)
            _, c, h, w = x.shape
            return x.reshape([-1, c, h, 1, w, 1]).expand([-1, c, h, s, w, s]).reshape([-1, c, h * s, w * s])
        return interpolate(x, size, scale_factor, mode, align_corners, align_mode, data_format, name, **more)

    F.interpolate = upsample
    try:
        yield
    finally:
        F.interpolate = interpolate


def _constant_jde_anchors(layer):
    """Trace JDE's anchor grid, which depends only on the (fixed) input size, as the constant it is: ppdet builds
    it with ``paddle.tile`` of a 3-D tensor to 4-D, which paddle2onnx converts without the new leading axis (an
    ONNX graph that no runtime loads). Same values, computed once in NumPy. Changes the JDEBox objects of
    ``layer`` (a copy to trace)."""

    def generate_anchor(self, grid_h, grid_w, anchor_wh):
        grid_h, grid_w = int(grid_h), int(grid_w)
        ys, xs = np.meshgrid(np.arange(grid_h), np.arange(grid_w), indexing='ij')
        mesh = np.broadcast_to(np.stack([xs, ys])[None], (len(anchor_wh), 2, grid_h, grid_w))
        offsets = np.broadcast_to(anchor_wh[:, :, None, None], (len(anchor_wh), 2, grid_h, grid_w))
        return paddle.to_tensor(np.concatenate([mesh, offsets], 1).transpose(0, 2, 3, 1).astype(np.float32))

    for _, _, box in _held(layer, 'JDEBox'):
        box.generate_anchor = types.MethodType(generate_anchor, box)


def export_detector(layer, image_shape, output_dir):
    """Save a ppdet detector (inputs 'image' [N, 3, H, W], 'im_shape', 'scale_factor'; outputs 'bbox',
    'bbox_num') to ``output_dir/model.*``. ``image_shape`` is [3, H, W] of its reader.

    As ppdet's own export does, re-parameterizable blocks (PP-YOLOE's RepVGG) are first fused into the single
    convolution they stand for; besides being faster, that removes the ``if`` on their ``alpha`` parameter,
    which paddle 3.3 saves as a program it cannot load back.

    Returns:
        the path prefix of the saved model.
    """
    layer = _static_copy(layer)
    for sublayer in layer.sublayers():
        if hasattr(sublayer, 'convert_to_deploy'):
            sublayer.convert_to_deploy()
    spec = {'image': InputSpec([None] + list(image_shape), 'float32', 'image'),
            'im_shape': InputSpec([None, 2], 'float32', 'im_shape'),
            'scale_factor': InputSpec([None, 2], 'float32', 'scale_factor')}
    os.makedirs(output_dir, exist_ok=True)
    prefix = os.path.join(output_dir, MODEL_PREFIX)
    _static_nms(layer)
    _constant_jde_anchors(layer)
    with _onednn_safe_upsampling():
        static = paddle.jit.to_static(layer, input_spec=[spec], full_graph=True)
        # paddle.jit.save refuses inputs the outputs do not depend on (JDE YOLOv3 uses only 'image'): save
        # with the inputs the traced program reads.
        program = static.forward.concrete_program.main_program
        unused = {op.attrs()['name'] for op in program.global_block().ops
                  if op.name() == 'pd_op.data' and op.result(0).use_empty()}
        paddle.jit.save(static, prefix, input_spec=[{k: v for k, v in spec.items() if k not in unused}])
    return prefix
