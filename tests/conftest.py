"""Shared test fixtures: the real reference data in ../shared (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session", autouse=True)
def _own_data_and_cache_dirs(tmp_path_factory: pytest.TempPathFactory):
    """The suite never reads or writes the user's avbench data or cache directory: a dataset a user
    generated there (``avbench demo``) must not change what a test sees. Subprocesses inherit it."""
    import os

    saved = {k: os.environ.get(k) for k in ("AVBENCH_DATA", "XDG_CACHE_HOME")}
    os.environ["AVBENCH_DATA"] = str(tmp_path_factory.mktemp("avbench-data"))
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference`` (the real metadata files); skips when this checkout has none."""
    if not REFERENCE.is_dir():
        pytest.skip(f"real reference data not found at {REFERENCE} (a fresh clone has no ../shared)")
    return REFERENCE


@pytest.fixture()
def loopback(monkeypatch: pytest.MonkeyPatch):
    """A :class:`loopback.LoopbackServer` (Zenodo, Drive, Hub and plain files on 127.0.0.1) with the
    download engine pointed at it and retry backoff shortened to milliseconds."""
    from loopback import LoopbackServer

    from avbench.download import http

    server = LoopbackServer()
    monkeypatch.setenv("AVBENCH_ZENODO_URL", server.base)
    monkeypatch.setenv("AVBENCH_GDRIVE_URL", server.base + "/download")
    monkeypatch.setenv("HF_ENDPOINT", server.base)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("AVBENCH_MIRROR", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(http, "DEFAULT_RETRY", http.RetryPolicy(attempts=4, base=0.01, cap=0.05, max_retry_after=5))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def register_recipe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """``register_recipe(recipe) -> root``: add a test-only recipe to the dataset registry for this
    test and write its toy fixture under ``tmp_path/<name>``."""
    from avbench import registry

    recipes = dict(registry.datasets())
    monkeypatch.setattr(registry, "datasets", lambda: recipes)

    def register(recipe) -> Path:  # noqa: ANN001
        recipes[recipe.name] = recipe
        root = tmp_path / recipe.name
        root.mkdir()
        recipe.make_toy(root)
        return root

    return register


@pytest.fixture(scope="session")
def synth_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``synth`` benchmark at size ``small`` (36 train / 12 val / 12 test clips), generated once
    per session: what the trainable baselines and ``avbench train`` are tested on."""
    from avbench.recipes.synth import RECIPE

    root = tmp_path_factory.mktemp("synth_small") / "synth"
    RECIPE.prepare(root, size="small", quiet=True)
    return root
