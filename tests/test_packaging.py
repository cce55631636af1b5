"""Packaging promises: the README lines, what `import avbench.metrics` pulls in, the install layout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _readme_lines() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_the_two_command_lines_and_ci_runs_line_two() -> None:
    lines = _readme_lines()
    assert len(lines) == 2
    assert lines[0].endswith("avbench demo")
    assert lines[1].endswith("python -m pytest")
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert lines[1] in ci, ".ci/run must run README line 2 verbatim"


HEAVY = ("pandas", "click", "rich", "matplotlib", "sklearn", "torch", "av", "yt_dlp", "h5py",
         "huggingface_hub", "dask", "soundfile", "pyroomacoustics")


def test_metrics_import_needs_numpy_and_scipy_only(tmp_path: Path) -> None:
    code = (
        "import sys, importlib, pkgutil\n"
        "import avbench.metrics as m\n"
        "for i in pkgutil.iter_modules(m.__path__):\n"
        "    importlib.import_module('avbench.metrics.' + i.name)\n"
        "import avbench.registry as r; r.metrics()\n"
        f"heavy = [h for h in {HEAVY!r} if h in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing avbench.metrics pulled in: {out.stdout.strip()}"


def test_no_top_level_metrics_or_recipes_package(tmp_path: Path) -> None:
    for name in ("metrics", "recipes", "baselines"):
        out = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode != 0, f"`import {name}` must fail: it would shadow other projects"
    ok = subprocess.run([sys.executable, "-c", "import avbench.metrics, avbench.recipes, avbench.baselines"],
                        cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    code = (
        "import logging, warnings, avbench, avbench.registry as r\n"
        "r.datasets(); r.metrics(); r.baselines()\n"
        "import avbench.cli\n"
        "print(len(logging.getLogger().handlers))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


@pytest.mark.slow
def test_wheel_installs_everything_under_avbench(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        pytest.skip(f"could not build a wheel here: {out.stderr.strip().splitlines()[-1:]}")
    wheel = next(tmp_path.glob("avbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops <= {"avbench", next(t for t in tops if t.endswith(".dist-info"))}, tops
    for must in ("avbench/metrics/classification.py", "avbench/recipes/__init__.py", "avbench/baselines/__init__.py",
                 "avbench/schemas/predictions-1.0.json", "avbench/py.typed", "avbench/metrics/sed/psd.py",
                 "avbench/metrics/_moved/psds.py", "avbench/recipes/ave/index/index.json"):
        assert must in names
    # every source module of the tree is in the wheel, under the name it imports as
    for rel in _source_modules():
        assert rel in names, f"{rel} is missing from the wheel (add its package to pyproject.toml)"


def _source_modules() -> list[str]:
    out = []
    for src, dst in (("avbench", "avbench"), ("metrics", "avbench/metrics"), ("recipes", "avbench/recipes"),
                     ("baselines", "avbench/baselines")):
        for f in (REPO / src).rglob("*.py"):
            rel = f.relative_to(REPO / src)
            if "__pycache__" in rel.parts or rel.parts[-2:-1] == ("index",):
                continue
            out.append(f"{dst}/{rel.as_posix()}")
    return out


def test_every_package_directory_is_listed_in_pyproject() -> None:
    import tomllib

    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = set()
    for src, dst in (("avbench", "avbench"), ("metrics", "avbench.metrics"), ("recipes", "avbench.recipes"),
                     ("baselines", "avbench.baselines")):
        for init in (REPO / src).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / src)
            found.add(".".join((dst, *rel.parts)) if rel.parts else dst)
    assert found - listed == set(), f"packages missing from [tool.setuptools] packages: {sorted(found - listed)}"
    assert listed - found == set(), f"listed packages that do not exist: {sorted(listed - found)}"
