"""The listing catalogue: never stale, and listing imports no plug-in when it is current."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from avbench import catalog


def test_a_catalogue_with_another_fingerprint_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = json.loads(json.dumps(catalog.build()))
    stale["fingerprint"] = "0" * 64
    stale["metrics"]["psds1"]["description"] = "STALE"
    shipped = tmp_path / "catalog.json"
    shipped.write_text(json.dumps(stale))
    monkeypatch.setattr(catalog, "SHIPPED", shipped)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = catalog.load()
    assert first.source == "discovery" and first.metrics["psds1"]["description"] != "STALE"
    second = catalog.load()  # the discovery was cached under the current fingerprint
    assert second.source == "cache" and second.metrics == first.metrics
    assert list((tmp_path / "cache" / "avbench").glob("catalog-*.json"))


def test_records_equal_live_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from avbench import registry

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cat = catalog.load()
    assert set(cat.datasets) == set(registry.datasets())
    assert cat.tasks == registry.tasks()
    assert {k: (m["version"], m["params"]) for k, m in cat.metrics.items()} == {
        k: (c.version, dict(c.params)) for k, c in registry.metrics().items()}
    assert set(cat.baselines) == set(registry.baselines())


def test_fingerprint_follows_a_change_of_a_plugin_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = catalog.fingerprint()
    fake = tmp_path / "metrics"
    fake.mkdir()
    (fake / "x.py").write_text("METRICS = []\n")
    monkeypatch.setattr(catalog, "_plugin_dirs", lambda: [("avbench.metrics", fake)])
    one = catalog.fingerprint()
    (fake / "x.py").write_text("METRICS = [] \n")
    assert len({before, one, catalog.fingerprint()}) == 3


def test_listing_with_a_current_catalogue_imports_no_plugin(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from avbench.cli import main\n"
        "try:\n    main(['list'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy')\n"
        "               or m.startswith(('avbench.metrics.', 'avbench.recipes.', 'avbench.baselines.')))\n"
        "print('HEAVY', heavy[:5])\n"
    )
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "psds1" in first.stdout  # the listing itself
    # the shipped catalogue may be stale in a working tree; then the first run discovers and caches
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert second.stdout.strip().endswith("HEAVY []"), second.stdout[-300:]


@pytest.mark.skipif(not catalog.SHIPPED.exists(), reason="no shipped catalogue")
def test_shipped_catalogue_is_current() -> None:
    data = json.loads(catalog.SHIPPED.read_text())
    assert data["fingerprint"] == catalog.fingerprint(), (
        "avbench/catalog.json is stale: run `python -m avbench.catalog --write` and commit it")
    fresh = catalog.build()
    assert data == json.loads(json.dumps(fresh)), "avbench/catalog.json differs from discovery: regenerate it"


@pytest.mark.parametrize("name", ["ave", "synth", "synth-sed", "psds1", "seld-dcase2024", "accuracy"])
def test_info_from_the_catalogue_equals_the_live_answer(name: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from avbench.cli import catalog as cli_catalog

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data_dir = tmp_path / "data"  # nothing on disk: the catalogue answers for datasets too
    cached = cli_catalog._cached_info(name, data_dir)
    assert cached is not None
    live = cli_catalog.info_data(name, data_dir)
    assert cached[0] == live[0]
    assert cached[1] == json.loads(json.dumps(live[1], default=str))
    (data_dir / name).mkdir(parents=True)
    if live[0] == "dataset":  # something on disk: the recipe is asked
        assert cli_catalog._cached_info(name, data_dir) is None


def test_evaluate_on_sed_files_imports_only_the_declaring_modules(tmp_path: Path) -> None:
    (tmp_path / "gt.tsv").write_text("filename\tonset\toffset\tevent_label\na.wav\t1.0\t2.0\tdog\n")
    (tmp_path / "det.tsv").write_text("filename\tonset\toffset\tevent_label\na.wav\t1.1\t2.0\tdog\n")
    code = (
        "import sys\n"
        "from avbench.cli import main\n"
        f"args = ['evaluate', '-r', {str(tmp_path / 'gt.tsv')!r}, '-p', {str(tmp_path / 'det.tsv')!r}, "
        "'-m', 'event_f1,segment_f1', '-q']\n"
        "try:\n    main(args)\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "mods = sorted(m for m in sys.modules if m.startswith(('avbench.metrics.', 'avbench.recipes.', "
        "'avbench.baselines.', 'scipy.optimize', 'scipy.stats')))\n"
        "print('MODS', mods)\n"
    )
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for _ in range(2):  # a stale shipped catalogue in a working tree: the first run discovers and caches
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-500:]
    mods = eval(out.stdout.split("MODS", 1)[1])
    assert mods and all(m.startswith("avbench.metrics.sed") for m in mods), mods
    assert "avbench.metrics.sed.event" in mods and "avbench.metrics.sed.segment" in mods
    assert "avbench.metrics.sed.psd" not in mods  # not requested, not imported


def test_evaluating_seld_files_imports_one_family_and_no_scipy(tmp_path: Path) -> None:
    """With a current catalogue ``avbench evaluate --metrics seld-...`` imports the SELD package only."""
    (tmp_path / "ref").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "ref" / "a.csv").write_text("0,1,0,30,10,150\n1,1,0,31,10,150\n")
    (tmp_path / "pred" / "a.csv").write_text("0,1,0,28,10,1.4\n")
    code = (
        "import sys\n"
        "from avbench.cli import main\n"
        f"args = ['evaluate', '-r', {str(tmp_path / 'ref')!r}, '-p', {str(tmp_path / 'pred')!r}, '-m', 'seld-dcase2024', '-q']\n"
        "try:\n    main(args)\nexcept SystemExit as e:\n    print('EXIT', e.code)\n"
        "other = sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'\n"
        "               or (m.startswith(('avbench.metrics.', 'avbench.recipes.', 'avbench.baselines.'))\n"
        "                   and not m.startswith('avbench.metrics.seld')))\n"
        "print('OTHER', other[:5])\n"
    )
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env) for _ in range(2)]
    assert "EXIT 0" in runs[0].stdout, runs[0].stdout + runs[0].stderr
    # a stale shipped catalogue (a working tree) makes the first run discover; the second reads the cache
    assert runs[1].stdout.strip().endswith("OTHER []"), runs[1].stdout[-300:]


def test_the_fingerprint_is_remembered_per_file_signature_and_not_for_files_just_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fake = tmp_path / "metrics"
    fake.mkdir()
    (fake / "x.py").write_text("METRICS = []\n")
    monkeypatch.setattr(catalog, "_plugin_dirs", lambda: [("avbench.metrics", fake)])
    memo = tmp_path / "cache" / "avbench" / "catalog-fingerprints.json"
    first = catalog.fingerprint()
    assert first == catalog._content_fingerprint(catalog._sources())
    assert not memo.exists()  # x.py was written just now: nothing remembered
    monkeypatch.setattr(catalog, "_SETTLE_NS", 0)
    assert catalog.fingerprint() == first and memo.exists()

    def no_reading(files):  # a remembered signature: the files are not read
        raise AssertionError("contents hashed again")

    with monkeypatch.context() as m:
        m.setattr(catalog, "_content_fingerprint", no_reading)
        assert catalog.fingerprint() == first
    st = (fake / "x.py").stat()
    time.sleep(0.05)  # past the file system's time tick (a few ms): the change time of the rewrite differs
    (fake / "x.py").write_text("METRICS = ()\n")  # same size, modification time put back: the change time moved
    os.utime(fake / "x.py", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert catalog.fingerprint() != first
    memo.write_text("not json")
    assert catalog.fingerprint() == catalog._content_fingerprint(catalog._sources())
