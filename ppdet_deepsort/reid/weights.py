"""Loading weights strictly: a checkpoint that does not fit the model exactly is refused, with the keys that are
missing, unexpected or of the wrong shape, instead of leaving a half-loaded model. It takes a local file; the adapter
resolves a config's paths and URLs first (:func:`ppdet_deepsort.adapter.builders.resolve_weights`)."""

import logging
import os

import paddle

from ..errors import WeightsError

logger = logging.getLogger(__name__)

__all__ = ['load_state_dict']

_CLASSIFIER_HEADS = ('classifier.', )  # ReIDClassifier's own head, saved beside the embedding model's keys


def load_state_dict(model, path, what='reid_weights'):
    """Load the checkpoint file ``path`` into ``model`` only if every parameter and buffer matches by name and shape.

    The exception are training-only classifier heads, whose size is the training set's identity count:
    keys under a model's ``TRAINING_HEADS`` prefixes, or ReIDClassifier's ``classifier.*`` in its checkpoints,
    that are missing, extra or of another size are left as the model has them (they never run when
    embedding)."""
    if not os.path.isfile(path):
        raise WeightsError("{} file not found: {}".format(what, path))
    try:
        state = paddle.load(path)
    except Exception as e:
        raise WeightsError("{} {} is not a paddle state dict ({}: {})".format(what, path, type(e).__name__, e)) \
            from None
    if not isinstance(state, dict):
        raise WeightsError("{} {} holds a {}, not a state dict".format(what, path, type(state).__name__))
    expected = {k: list(v.shape) for k, v in model.state_dict().items()}
    given = {k: list(v.shape) for k, v in state.items()}
    heads = tuple(getattr(model, 'TRAINING_HEADS', ())) + _CLASSIFIER_HEADS
    skipped = sorted(k for k in set(expected) | set(given) if k.startswith(heads) and expected.get(k) != given.get(k))
    if skipped:
        logger.info("{}: {} keys of training-only classifier heads ({}) are sized for other identities: not "
                    "loaded".format(what, len(skipped), ', '.join(sorted({h for h in heads for k in skipped
                                                                          if k.startswith(h)}))))
        state = {k: v for k, v in state.items() if k not in skipped}
        expected = {k: v for k, v in expected.items() if k not in skipped}
        given = {k: v for k, v in given.items() if k not in skipped}
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    mis_shaped = sorted(k for k in set(expected) & set(given) if expected[k] != given[k])
    if missing or unexpected or mis_shaped:
        lines = ["{} {} does not fit {}:".format(what, path, type(model).__name__)]
        for title, keys, show in (('missing', missing, lambda k: k), ('unexpected', unexpected, lambda k: k),
                                  ('wrong shape', mis_shaped,
                                   lambda k: '{} (checkpoint {}, model {})'.format(k, given[k], expected[k]))):
            if keys:
                lines.append('  {} keys ({}): {}{}'.format(title, len(keys), ', '.join(show(k) for k in keys[:10]),
                                                          ', ...' if len(keys) > 10 else ''))
        raise WeightsError('\n'.join(lines))
    model.set_state_dict(state)
    logger.info("Loaded {} from {}".format(what, path))
    return path
