"""Building registered components from ppdet's config, with unknown names and keys reported by name."""

import dataclasses

from ppdet.core.config.schema import SchemaDict
from ppdet.core.workspace import create, global_config

from ..errors import ConfigError


def top_level(cfg, cls):
    """The top-level keys of ``cls`` (a dataclass of the run spec, e.g. PostProcess) that ``cfg`` sets, as ``cls``
    (its defaults for the others)."""
    return cls(**{f.name: cfg[f.name] for f in dataclasses.fields(cls) if f.name in cfg})


def build(name, section='component'):
    """``ppdet.core.workspace.create(name)``, with unknown names and unknown keys reported by name."""
    checked_keys(name, section)
    return create(name)


def checked_keys(name, section='component'):
    """The keys of the registered component ``name`` as the config sets them, defaults included, with an unknown
    name or key reported by name (its values are checked when it is built)."""
    if name not in global_config or not isinstance(global_config[name], SchemaDict):
        raise ConfigError("{}: '{}' is not a registered ppdet component (is the plugin imported?)".format(
            section, name))
    extra = global_config[name].find_extra_keys()
    if extra:
        raise ConfigError("{}: unknown key(s) {}; known keys: {}".format(
            name, ', '.join(sorted(extra)), ', '.join(sorted(global_config[name].schema))))
    return component_keys(name)


def component_args(name, section='component'):
    """Every constructor argument of the registered component ``name`` as the config sets it, defaults included,
    once it is known to build (see :func:`build`)."""
    build(name, section)
    return component_keys(name)


def component_keys(name):
    """The keys of the registered component ``name`` as the config sets them, defaults included, unchecked: None for
    a name that is not registered."""
    block = global_config.get(name)
    return {key: block[key] for key in block.schema} if isinstance(block, SchemaDict) else None
