"""Aliases for modules that moved in avbench 0.2, kept for one release.

A moved module's old path is a tiny file in the ``_moved/`` directory of its old package, which that
package appends to its ``__path__`` (nothing global is patched). Importing the old path warns once
with a :class:`DeprecationWarning` naming the new path and binds the old name to the new module
object, so ``from avbench.metrics.psds import psds`` keeps working and gives the same objects.

Example:
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     import avbench.metrics.sed_event as old
    >>> import avbench.metrics.sed.event as new
    >>> old is new, "avbench.metrics.sed.event" in str(caught[0].message)
    (True, True)
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

__all__ = ["alias", "moved_dir"]

REMOVED_IN = "0.3"


def moved_dir(package_file: str) -> str:
    """The ``_moved`` directory beside a package's ``__init__.py`` (for its ``__path__``)."""
    return os.path.join(os.path.dirname(package_file), "_moved")


def alias(old: str, new: str) -> None:
    """Warn that ``old`` moved to ``new`` and make ``sys.modules[old]`` the new module."""
    warnings.warn(
        f"{old} moved to {new}; import {new} instead ({old} goes away in avbench {REMOVED_IN})",
        DeprecationWarning,
        stacklevel=3,
    )
    sys.modules[old] = importlib.import_module(new)
