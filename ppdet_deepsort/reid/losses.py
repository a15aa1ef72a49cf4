"""The two ReID training losses: identity cross-entropy with label smoothing, and the batch-hard triplet
loss (Hermans et al., "In Defense of the Triplet Loss", 2017) over a P x K batch."""

import paddle
import paddle.nn.functional as F

__all__ = ['identity_loss', 'batch_hard_triplet_loss']


def identity_loss(logits, labels, label_smoothing=0.1):
    """Mean cross-entropy of each head's logits (a list: one per classifier head) against the labels."""
    return paddle.add_n([F.cross_entropy(x, labels, label_smoothing=label_smoothing) for x in logits]) / len(logits)


def batch_hard_triplet_loss(features, labels, margin=0.3):
    """For every crop, its farthest same-identity crop should be nearer than its nearest other-identity crop
    by ``margin``. Distances are Euclidean between L2-normalized embeddings, in [0, 2]: the ranking the
    tracker's cosine distance gives, so the margin means the same whatever the embeddings' scale.

    Returns:
        (loss, fraction of crops whose triplet already satisfies the margin)
    """
    features = F.normalize(features, axis=1)
    distance = (2 - 2 * features @ features.t()).clip(min=1e-12).sqrt()
    same = (labels.unsqueeze(1) == labels.unsqueeze(0)).astype(distance.dtype)
    hardest_positive = (distance * same).max(axis=1)
    hardest_negative = (distance + same * 1e6).min(axis=1)
    loss = F.relu(hardest_positive - hardest_negative + margin).mean()
    return loss, (hardest_negative > hardest_positive + margin).astype('float32').mean()
