"""Module paths of avbench 0.1 keep working for one release, with a DeprecationWarning naming the new path."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

MOVED = {
    "avbench.metrics.psds": "avbench.metrics.sed.psd",
    "avbench.metrics.sed_event": "avbench.metrics.sed.event",
    "avbench.metrics.sed_segment": "avbench.metrics.sed.segment",
    "avbench.metrics.sed_intersection": "avbench.metrics.sed.intersection",
    "avbench.metrics.sed_curves": "avbench.metrics.sed.curves",
    "avbench.metrics.sed_files": "avbench.metrics.sed.files",
    "avbench.metrics.seld_files": "avbench.metrics.seld.files",
    "avbench.metrics.seld_umons": "avbench.metrics.seld.umons",
    "avbench.metrics.ave_localization": "avbench.metrics.ave",
    **{f"avbench.metrics.seld_dcase{y}": f"avbench.metrics.seld.dcase{y}" for y in (2019, 2020, 2022, 2024, 2025)},
    "avbench.recipes._ave_torch": "avbench.recipes.ave.torch_dataset",
}


@pytest.mark.parametrize("old,new", sorted(MOVED.items()))
def test_old_path_warns_and_is_the_new_module(old: str, new: str) -> None:
    # a fresh interpreter, so the first import (the one that warns) is this one
    code = (
        "import warnings, importlib\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        f"    old = importlib.import_module({old!r})\n"
        f"new = importlib.import_module({new!r})\n"
        "msgs = [str(x.message) for x in w if issubclass(x.category, DeprecationWarning)]\n"
        f"print(old is new, any({new!r} in m and {old!r} in m for m in msgs))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_from_import_of_an_old_path_gives_the_same_objects() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("avbench.metrics.psds")
    from avbench.metrics.sed import psd

    assert old.METRICS is psd.METRICS


def test_aliases_are_not_discovered_as_plugins() -> None:
    from avbench import registry

    # an alias found by discovery would be its new module a second time (and its METRICS twice)
    mods = [m.__name__ for m in registry.plugin_modules("avbench.metrics", recursive=True)]
    assert len(mods) == len(set(mods)), sorted(m for m in mods if mods.count(m) > 1)
