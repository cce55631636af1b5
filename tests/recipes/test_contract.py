"""Contract every registered dataset recipe fulfils (one test id per dataset, from the registry).

Adding a dataset = one module in recipes/ defining RECIPE; these tests pick it up."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from avbench import registry
from avbench.dataset import Recipe
from avbench.download.resource import Resource
from avbench.model import Clip, SplitManifest

NAMES = sorted(registry.datasets())


@pytest.fixture(scope="module")
def toy_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


def _toy(name: str, toy_roots: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    if name not in toy_roots:
        root = tmp_path_factory.mktemp(f"toy-{name}") / name
        root.mkdir()
        registry.dataset(name).make_toy(root)
        toy_roots[name] = root
    return toy_roots[name]


@pytest.mark.parametrize("name", NAMES)
def test_metadata_and_tasks(name: str) -> None:
    r = registry.dataset(name)
    assert isinstance(r, Recipe) and r.name == name
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name)
    for attr in ("version", "title", "license", "citation"):
        assert getattr(r, attr), f"{name}: {attr} is empty"
    assert "meta" in r.parts and set(r.default_parts) <= set(r.parts)
    tasks = r.tasks()
    assert tasks, f"{name} defines no task"
    known = registry.metrics()
    for t in tasks:
        assert t.dataset == name
        missing = [m.id for m in t.metrics if m.id not in known]
        assert not missing, f"task {t.id} uses unregistered metric(s) {missing}"
    assert (inspect.getdoc(type(r)) or "").strip(), f"{name}: the recipe class needs a docstring"


@pytest.mark.parametrize("name", NAMES)
def test_resources_are_well_formed(name: str) -> None:
    r = registry.dataset(name)
    res = r.resources(parts=r.parts)
    assert all(isinstance(x, Resource) for x in res)
    paths = [x.path for x in res]
    assert len(paths) == len(set(paths)), f"{name}: two resources share a destination path"
    assert all(x.part in r.parts for x in res)


@pytest.mark.parametrize("name", NAMES)
def test_toy_fixture_loads_through_the_real_code_path(
    name: str, toy_roots: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    r = registry.dataset(name)
    root = _toy(name, toy_roots, tmp_path_factory)
    assert r.is_prepared(root)
    manifest = r.splits(root)
    assert isinstance(manifest, SplitManifest) and manifest.dataset == name
    clips = r.load(root)
    assert clips and all(isinstance(c, Clip) and c.id == k for k, c in clips.items())
    for split, ids in manifest.splits.items():
        part = r.load(root, split=split)
        assert list(part) == list(ids), f"{name}/{split}: load(split=) must follow the manifest order"
    info = r.info(root)
    assert info["on_disk"] and info["splits_sha256"] == manifest.digest()


@pytest.mark.parametrize("name", NAMES)
def test_every_task_has_reference_clips_on_the_toy(
    name: str, toy_roots: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    r = registry.dataset(name)
    root = _toy(name, toy_roots, tmp_path_factory)
    manifest = r.splits(root)
    for t in r.tasks():
        split = t.split if t.split in manifest.splits else next(iter(manifest.splits))
        ref = r.reference(root, t, split)
        assert set(ref) <= set(manifest[split]), f"task {t.id}: reference clips outside split {split}"
