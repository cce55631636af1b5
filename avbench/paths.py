"""Where datasets live on disk.

The data directory is, in order: the ``--data-dir`` option, the ``AVBENCH_DATA`` environment
variable, ``$XDG_DATA_HOME/avbench``, ``~/.local/share/avbench``. Each dataset lives in a
sub-directory named after it.

Example:
    >>> import os
    >>> data_dir("/tmp/x").as_posix()
    '/tmp/x'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "dataset_dir", "cache_dir"]


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The avbench data directory (not created)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("AVBENCH_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "avbench"


def cache_dir() -> Path:
    """avbench's per-user cache (``$XDG_CACHE_HOME/avbench``, else ``~/.cache/avbench``; not created):
    the listing catalogue, its fingerprint memo, the score-table cache. Everything in it can be rebuilt."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "avbench"


def dataset_dir(name: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The directory of dataset ``name`` under :func:`data_dir`."""
    return data_dir(explicit) / name
