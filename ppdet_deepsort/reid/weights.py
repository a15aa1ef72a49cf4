"""Loading ReID weights strictly: a checkpoint that does not fit the model exactly is refused, with the
keys that are missing, unexpected or of the wrong shape, instead of leaving a half-loaded model."""

import os

import paddle
from ppdet.utils.checkpoint import is_url
from ppdet.utils.download import get_weights_path
from ppdet.utils.logger import setup_logger

from ..errors import WeightsError

logger = setup_logger(__name__)

__all__ = ['load_state_dict', 'resolve_weights']

_CLASSIFIER_HEADS = ('classifier.', )  # ReIDClassifier's own head, saved beside the embedding model's keys


def resolve_weights(weights, what='reid_weights'):
    """Local path of ``weights``: a path (with or without .pdparams) or a URL, fetched like ppdet does."""
    if weights in (None, '', 'None'):
        raise WeightsError("{} is not set: give -o {}=PATH/TO/model.pdparams".format(what, what))
    if is_url(weights):
        try:
            return get_weights_path(weights)
        except Exception as e:  # ppdet retries and then raises various errors when offline
            raise WeightsError("cannot download {} {} ({}: {}); without network access set {} to a local "
                               ".pdparams file".format(what, weights, type(e).__name__, e, what)) from None
    path = weights if weights.endswith('.pdparams') else weights + '.pdparams'
    if not os.path.isfile(path):
        raise WeightsError("{} file not found: {}".format(what, path))
    return path


def load_state_dict(model, weights, what='reid_weights'):
    """Load ``weights`` into ``model`` only if every parameter and buffer matches by name and shape.

    The exception are training-only classifier heads, whose size is the training set's identity count:
    keys under a model's ``TRAINING_HEADS`` prefixes, or ReIDClassifier's ``classifier.*`` in its checkpoints,
    that are missing, extra or of another size are left as the model has them (they never run when
    embedding)."""
    path = resolve_weights(weights, what)
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
