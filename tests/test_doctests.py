"""Every docstring example in the package runs (one test id per module)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import avbench


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(avbench.__path__, prefix="avbench."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    try:
        mod = importlib.import_module(name)
    except ImportError as exc:  # an optional extra is missing: say which
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
