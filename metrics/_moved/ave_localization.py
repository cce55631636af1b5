"""Moved to :mod:`avbench.metrics.ave` (this path warns and works until avbench 0.3)."""

from avbench._moved import alias

alias(__name__, "avbench.metrics.ave")
