"""Import optional dependencies where they are used, with an error that names the extra.

Example:
    >>> np = require("numpy", "core")
    >>> np.__name__
    'numpy'
    >>> require("no_such_module_xyz", "video")
    Traceback (most recent call last):
    ...
    avbench.errors.MissingExtraError: this feature needs the optional dependency 'no_such_module_xyz': install it with `pip install "avbench[video]"`
"""

from __future__ import annotations

import importlib
from types import ModuleType

from avbench.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``extra``.

    Args:
        module: dotted module name, e.g. ``"av"`` or ``"yt_dlp"``.
        extra: the avbench extra that installs it, e.g. ``"video"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the module exists but one of *its* imports failed: show the real cause
        raise MissingExtraError(
            f"this feature needs the optional dependency {module!r}: "
            f'install it with `pip install "avbench[{extra}]"`'
        ) from None
