"""Checking constructor arguments that come from YAML (or any caller), so that a bad value names its key."""

import inspect
import typing

from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

from .errors import ConfigError

__all__ = ['check_types', 'require']


def check_types(component, init, arguments):
    """Check every annotated argument of ``init`` against its annotation with typeguard.

    ``component`` is the YAML section name (the registered class name), ``arguments`` the
    constructor's ``locals()``.
    """
    for name, param in inspect.signature(init).parameters.items():
        if param.annotation is inspect.Parameter.empty or name not in arguments:
            continue
        value = arguments[name]
        try:
            check_type(value, param.annotation, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
            # YAML turns `yes`/`true` into bools, which Python would accept as the numbers 1 and 0.
            if isinstance(value, bool) and param.annotation in (int, float):
                raise TypeCheckError('bool is not a number')
        except TypeCheckError:
            raise ConfigError("{}.{}: expected {}, got {!r} ({})".format(
                component, name, _type_name(param.annotation), value, type(value).__name__)) from None


def require(component, name, ok, expected, value):
    """Raise a ConfigError naming ``component.name`` unless ``ok``."""
    if not ok:
        raise ConfigError("{}.{}: expected {}, got {!r}".format(component, name, expected, value))


def _type_name(annotation):
    if typing.get_origin(annotation) is typing.Union:
        return ' or '.join(_type_name(a) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Literal:
        return 'one of ' + ', '.join(repr(v) for v in typing.get_args(annotation))
    if typing.get_origin(annotation) is not None:
        return str(annotation).replace('typing.', '')
    return annotation.__name__
