"""Moved to :mod:`avbench.recipes.ave.torch_dataset` (this path warns and works until avbench 0.3)."""

from avbench._moved import alias

alias(__name__, "avbench.recipes.ave.torch_dataset")
