"""Validation of component arguments coming from YAML, so a bad value names its key."""

import inspect
import typing

from ppdet.core.config.schema import SchemaDict
from ppdet.core.workspace import create, global_config
from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

from ..errors import ConfigError


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
    if typing.get_origin(annotation) is typing.Literal:
        return 'one of ' + ', '.join(repr(v) for v in typing.get_args(annotation))
    if typing.get_origin(annotation) is not None:
        return str(annotation).replace('typing.', '')
    return annotation.__name__


def build(name, section='component'):
    """``ppdet.core.workspace.create(name)``, with unknown names and unknown keys reported by name."""
    if name not in global_config or not isinstance(global_config[name], SchemaDict):
        raise ConfigError("{}: '{}' is not a registered ppdet component (is the plugin imported?)".format(
            section, name))
    extra = global_config[name].find_extra_keys()
    if extra:
        raise ConfigError("{}: unknown key(s) {}; known keys: {}".format(
            name, ', '.join(sorted(extra)), ', '.join(sorted(global_config[name].schema))))
    return create(name)


def component_args(name, section='component'):
    """Every constructor argument of the registered component ``name`` as the config sets it, defaults included,
    once it is known to build (see :func:`build`)."""
    build(name, section)
    return component_keys(name)


def component_keys(name):
    """The same without building it (for a component already built): None for a name that is not registered."""
    block = global_config.get(name)
    return {key: block[key] for key in block.schema} if isinstance(block, SchemaDict) else None
