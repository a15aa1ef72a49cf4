"""A ReID embedding model in training: identity classifier heads on its embeddings and the two losses,
registered as ``ReIDClassifier``. Only the embedding model is saved as the tracking configs' ``reid_weights``."""

import paddle
import paddle.nn as nn
from paddle.nn.layer.norm import _BatchNormBase
from ppdet.core.workspace import register

from ..utils.config import check_types, require
from .losses import batch_hard_triplet_loss, identity_loss

__all__ = ['ReIDClassifier']


@register
class ReIDClassifier(nn.Layer):
    """Train ``embedding`` to tell the training identities apart. YAML section ``ReIDClassifier``.

    Heads: PCB Pyramid keeps its own 21 branch classifiers (``pyramid_fc_list0``, part of its weights, as in
    ppdet); other models (OSNet) get one linear classifier on the embedding. The heads are sized by
    :meth:`set_identities` from the training data and re-initialized when a checkpoint's heads have another
    size; the embedding the tracker uses is unchanged by them.

    Args:
        embedding (str): the registered ReID model (e.g. OSNetEmbedding, PCBPyramidEmbedding). Default
            'OSNetEmbedding'.
        label_smoothing (float): of the identity cross-entropy. Default 0.1.
        triplet_margin (float): of the batch-hard triplet loss. Default 0.3.
        id_weight (float): the identity cross-entropy's weight. Default 1.0.
        triplet_weight (float): the triplet loss's weight. Default 1.0.
        freeze_bn (bool): keep the batch norms' running statistics as loaded (their scale and shift still
            learn). Fine-tuning on a few identities of one camera, with padding and erasing in its batches,
            would otherwise replace statistics learnt on thousands of people. Default True.
    """
    __inject__ = ['embedding']

    def __init__(self,
                 embedding='OSNetEmbedding',
                 label_smoothing: float = 0.1,
                 triplet_margin: float = 0.3,
                 id_weight: float = 1.0,
                 triplet_weight: float = 1.0,
                 freeze_bn: bool = True):
        super().__init__()
        name = type(self).__name__
        check_types(name, ReIDClassifier.__init__, locals())
        require(name, 'embedding', isinstance(embedding, nn.Layer), 'a registered ReID model', embedding)
        require(name, 'label_smoothing', 0 <= label_smoothing < 1, 'a number in [0, 1)', label_smoothing)
        self.embedding = embedding
        self.label_smoothing, self.triplet_margin = label_smoothing, triplet_margin
        self.id_weight, self.triplet_weight = id_weight, triplet_weight
        self.freeze_bn = freeze_bn
        self.classifier = None  # heads of models without their own

    def train(self):
        super().train()
        if self.freeze_bn:
            for layer in self.embedding.sublayers():
                if isinstance(layer, _BatchNormBase):
                    layer.eval()
        return self

    @property
    def branch_heads(self):
        """PCB Pyramid's per-branch classifiers, or None."""
        return getattr(self.embedding, 'pyramid_fc_list0', None)

    def set_identities(self, count):
        """Size the classifier heads for ``count`` identities (new heads unless they have that size)."""
        heads = self.branch_heads
        if heads is not None:
            if heads[0].weight.shape[1] != count:
                self.embedding.pyramid_fc_list0 = nn.LayerList([nn.Linear(h.weight.shape[0], count) for h in heads])
        elif self.classifier is None or self.classifier.weight.shape[1] != count:
            dim = getattr(self.embedding, 'feature_dim', None)
            require(type(self).__name__, 'embedding', dim is not None, 'a ReID model with branch heads '
                    '(pyramid_fc_list0) or a feature_dim', type(self.embedding).__name__)
            self.classifier = nn.Linear(dim, count)

    def head_state(self):
        """The heads that are not part of the embedding's weights (saved with the training state)."""
        return self.classifier.state_dict() if self.classifier is not None else {}

    def forward(self, inputs):
        """Training: {'image', 'label'} -> {'loss', 'id_loss', 'triplet_loss', 'triplet_satisfied'};
        otherwise N x 3 x H x W -> embeddings."""
        if not self.training:
            return self.embedding(inputs)
        features = self.embedding(inputs['image'])
        labels = inputs['label'].reshape([-1]).astype('int64')
        heads = self.branch_heads
        if heads is not None:
            logits = [head(part) for head, part in zip(heads, paddle.split(features, len(heads), axis=1))]
        else:
            logits = [self.classifier(features)]
        id_loss = identity_loss(logits, labels, self.label_smoothing)
        triplet, satisfied = batch_hard_triplet_loss(features, labels, self.triplet_margin)
        return {'loss': self.id_weight * id_loss + self.triplet_weight * triplet, 'id_loss': id_loss,
                'triplet_loss': triplet, 'triplet_satisfied': satisfied}
