"""Every docstring example in the package runs (one test id per module)."""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil

import pytest

PACKAGES = ("avbench", "avbench.metrics", "avbench.recipes", "avbench.baselines")


def _modules() -> list[str]:
    names = set()
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        # the package's own directory only: moved-module aliases (``_moved/``) only warn and re-export
        for info in pkgutil.walk_packages([os.path.dirname(pkg.__file__)], prefix=f"{pkg_name}."):
            if info.name.startswith("avbench.cli") or info.name.endswith("__main__"):
                continue
            names.add(info.name)
        names.add(pkg_name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    try:
        mod = importlib.import_module(name)
    except ImportError as exc:  # an optional extra is missing: say which
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
