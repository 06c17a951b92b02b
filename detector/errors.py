"""The errors the detector raises.

Every error derives from :class:`DetectorError`, so a caller can catch the detector's own failures in one
``except`` and let programming errors through. A broken *page* is never an exception: it becomes a
verdict with status ``error``. These errors are for problems that stop a run: bad settings, a missing
optional dependency, an unusable model file, an input path that cannot be read.
"""

from __future__ import annotations


class DetectorError(Exception):
    """Base class for every error the detector raises."""


class ConfigError(DetectorError):
    """A setting, an option or a missing optional dependency: fix the configuration."""


class ModelLoadError(DetectorError):
    """A model file that is missing, corrupt, or built for another feature set."""


class InputError(DetectorError):
    """An input path that does not exist or cannot be read as any supported format."""


def missing_extra(module: str, extra: str) -> ConfigError:
    """Return the error for an optional dependency that is not installed.

    ``module`` is the importable name that is missing (``warcio``), ``extra`` the name of the package
    extra that brings it in (``warc``). The caller raises the result, usually ``from`` the ImportError.
    """
    return ConfigError(f"{module} is needed for this; install it with: pip install 'detector[{extra}]'")
