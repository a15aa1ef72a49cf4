"""A ReID embedding model in training: identity classifier heads on its embeddings and the two losses, registered
as the ppdet architecture ``ReIDClassifier``, so that ppdet's ``Trainer`` (PaddleDetection's tools/train.py and
eval.py, and the project's) trains and evaluates it."""

import collections

import paddle
import paddle.nn as nn
from paddle.nn.layer.norm import _BatchNormBase
from ppdet.core.workspace import global_config, register
from ppdet.modeling.architectures.meta_arch import BaseArch

from ..checks import check_types, require
from ..reid.losses import batch_hard_triplet_loss, identity_loss

__all__ = ['ReIDClassifier']

_EMBEDDING = 'embedding.'


@register
class ReIDClassifier(BaseArch):
    """Train ``embedding`` to tell the training identities apart. YAML section ``ReIDClassifier``; use it as
    ``architecture: ReIDClassifier`` with ``metric: ReID``.

    Heads: PCB Pyramid keeps its own 21 branch classifiers (``pyramid_fc_list0``, part of its weights, as in
    ppdet); other models (OSNet) get one linear classifier (``classifier``) on the embedding. The heads are sized
    for the training identities; a checkpoint is the embedding model's own keys plus ``classifier.*``, so it loads
    as the tracking configs' ``reid_weights`` (the heads are left out there) and resumes training (``-r``).

    In training the model takes {'image', 'label'} and returns {'loss', 'id_loss', 'triplet_loss',
    'triplet_satisfied'}; otherwise it returns {'embeddings'}.

    Args:
        embedding (str): the registered ReID model (e.g. OSNetEmbedding, PCBPyramidEmbedding). Default
            'OSNetEmbedding'.
        num_identities (int): identities the heads tell apart; 0 takes those of the config's TrainDataset.
            Default 0.
        label_smoothing (float): of the identity cross-entropy. Default 0.1.
        triplet_margin (float): of the batch-hard triplet loss. Default 0.3.
        id_weight (float): the identity cross-entropy's weight. Default 1.0.
        triplet_weight (float): the triplet loss's weight. Default 1.0.
        freeze_bn (bool): keep the batch norms' running statistics as loaded (their scale and shift still
            learn). Fine-tuning on a few identities of one camera, with padding and erasing in its batches,
            would otherwise replace statistics learnt on thousands of people. Default True.
    """
    __category__ = 'architecture'
    __inject__ = ['embedding']

    def __init__(self,
                 embedding='OSNetEmbedding',
                 num_identities: int = 0,
                 label_smoothing: float = 0.1,
                 triplet_margin: float = 0.3,
                 id_weight: float = 1.0,
                 triplet_weight: float = 1.0,
                 freeze_bn: bool = True):
        super().__init__()
        name = type(self).__name__
        check_types(name, ReIDClassifier.__init__, locals())
        require(name, 'embedding', isinstance(embedding, nn.Layer), 'a registered ReID model', embedding)
        require(name, 'num_identities', num_identities >= 0, 'an int >= 0', num_identities)
        require(name, 'label_smoothing', 0 <= label_smoothing < 1, 'a number in [0, 1)', label_smoothing)
        self.embedding = embedding
        self.label_smoothing, self.triplet_margin = label_smoothing, triplet_margin
        self.id_weight, self.triplet_weight = id_weight, triplet_weight
        self.classifier = None
        if freeze_bn:  # in training mode too, and whatever wraps the model (paddle.DataParallel)
            for layer in embedding.sublayers():
                if isinstance(layer, _BatchNormBase):
                    layer._use_global_stats = True
        if num_identities:
            self._size_heads(num_identities)

    @classmethod
    def from_config(cls, cfg, *args, **kwargs):
        from .identity_crops import MOTIdentityCrops
        dataset = global_config.get('TrainDataset')
        if cfg['num_identities'] == 0 and isinstance(dataset, MOTIdentityCrops):
            return {'num_identities': dataset.num_identities}
        return {}

    @property
    def branch_heads(self):
        """PCB Pyramid's per-branch classifiers, or None."""
        return getattr(self.embedding, 'pyramid_fc_list0', None)

    def _size_heads(self, count):
        heads = self.branch_heads
        if heads is not None:
            if heads[0].weight.shape[1] != count:
                self.embedding.pyramid_fc_list0 = nn.LayerList([nn.Linear(h.weight.shape[0], count) for h in heads])
        else:
            dim = getattr(self.embedding, 'feature_dim', None)
            require(type(self).__name__, 'embedding', dim is not None, 'a ReID model with branch heads '
                    '(pyramid_fc_list0) or a feature_dim', type(self.embedding).__name__)
            self.classifier = nn.Linear(dim, count)

    # Checkpoints carry the embedding model's own keys, not 'embedding.*' ------------------------------------
    def state_dict(self, *args, **kwargs):
        state = super().state_dict(*args, **kwargs)
        prefix = kwargs.get('structured_name_prefix', '')
        inner = prefix + _EMBEDDING
        return collections.OrderedDict((prefix + k[len(inner):] if k.startswith(inner) else k, v)
                                       for k, v in state.items())

    def set_state_dict(self, state_dict, *args, **kwargs):
        own = set(super().state_dict())
        return super().set_state_dict({k if k in own else _EMBEDDING + k: v for k, v in state_dict.items()}, *args,
                                      **kwargs)

    set_dict = set_state_dict

    # ppdet's architecture protocol --------------------------------------------------------------------------
    def _forward(self):
        return self.embedding(self.inputs['image'])

    def get_pred(self):
        return {'embeddings': self._forward()}

    def get_loss(self):
        if self.classifier is None and self.branch_heads is None:
            raise ValueError("ReIDClassifier has no classifier heads: set num_identities, or TrainDataset to a "
                             "MOTIdentityCrops dataset")
        features = self._forward()
        labels = self.inputs['label'].reshape([-1]).astype('int64')
        heads = self.branch_heads
        if heads is not None:
            logits = [head(part) for head, part in zip(heads, paddle.split(features, len(heads), axis=1))]
        else:
            logits = [self.classifier(features)]
        id_loss = identity_loss(logits, labels, self.label_smoothing)
        triplet, satisfied = batch_hard_triplet_loss(features, labels, self.triplet_margin)
        return {'loss': self.id_weight * id_loss + self.triplet_weight * triplet, 'id_loss': id_loss,
                'triplet_loss': triplet, 'triplet_satisfied': satisfied}
