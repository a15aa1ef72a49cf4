"""The errors the plugin raises for problems a user can fix: each message names the key, file, line or model and
what was expected. The tools end on one of them with that one line and exit status 1 instead of a traceback
(:func:`.adapter.cli.run_tool`); a runner reports a failed sequence by it and goes on with the others.

The classes also derive from the built-in error that fits (ValueError for bad values, RuntimeError for failures),
so code that catches those keeps working.
"""

__all__ = ['PluginError', 'ConfigError', 'InputError', 'MOTFileError', 'SequenceError', 'ModelError', 'WeightsError',
           'ConversionError', 'OutputError', 'RunError']


class PluginError(Exception):
    """Base of the errors below."""


class ConfigError(PluginError, ValueError):
    """A config value (YAML key, ``-o`` override or flag) has the wrong type or an invalid value; the message names
    the key."""


class InputError(PluginError, ValueError):
    """An input file cannot be used."""


class MOTFileError(InputError):
    """A MOT text file (detections, ground truth, results) cannot be used; the message names the file, the line
    and the problem."""


class SequenceError(InputError):
    """A sequence's files are missing, unreadable or inconsistent; the message names the file."""


class ModelError(PluginError):
    """A model cannot be built, loaded or converted."""


class WeightsError(ModelError, ValueError):
    """Weights cannot be found, fetched or do not fit the model."""


class ConversionError(ModelError, RuntimeError):
    """A model could not be converted: a torch checkpoint to paddle weights, a paddle export to ONNX, or an ONNX
    model to int8."""


class OutputError(PluginError, OSError):
    """An output file cannot be written (a full disk, a file-size limit, a read-only or unwritable folder): the
    message names the file and the cause. A run stops on it, since every later write would fail alike; what was
    written before stays, and no partly written file is left in the place of a complete one."""

    def __str__(self):  # the message alone: OSError's own would show errno and filename, once set, instead
        return self.args[0]


class RunError(PluginError, RuntimeError):
    """Some sequences failed; the others were tracked and written."""
