"""``avbench submit --format dcase``: the DCASE package layout and the checker's rules, each
broken once."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import yaml
from _submission_fixtures import make_predictions

from avbench.cli import main
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions
from avbench.submission.dcase import check_dcase_package, check_label


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _package(tmp_path: Path, synth_root: Path, meta_file: Path, capsys, task: str, label: str) -> Path:
    preds = tmp_path / "test.preds.json"
    make_predictions(synth_root, task, noise=0.2).write(preds)
    dev = tmp_path / "val.preds.json"
    make_predictions(synth_root, task, split="val", noise=0.2).write(dev)
    report = tmp_path / "dev.report.json"
    evaluate_predictions(dev, reference=synth_root).write_json(report)
    out = tmp_path / "pkg.zip"
    code, printed, err = _run(["submit", str(preds), "--meta", str(meta_file), "--format", "dcase", "--label", label,
                               "--dev-report", str(report), "--reference", str(synth_root), "--out", str(out)], capsys)
    assert code == 0, err
    return out


@pytest.mark.parametrize("task, label, columns", [
    ("synth-scene", "Lovelace_AI_task1_1", ["filename", "scene_label"]),
    ("synth-sed", "Lovelace_AI_task4_2", ["filename", "onset", "offset", "event_label"]),
])
def test_dcase_package_layout(task: str, label: str, columns: list[str], tmp_path: Path, synth_root: Path,
                              meta_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _package(tmp_path, synth_root, meta_file, capsys, task, label)
    with zipfile.ZipFile(pkg) as zf:
        assert sorted(zf.namelist()) == [f"{label}/{label}.meta.yaml", f"{label}/{label}.output.csv"]
        rows = list(csv.reader(io.StringIO(zf.read(f"{label}/{label}.output.csv").decode()), delimiter="\t"))
        meta = yaml.safe_load(zf.read(f"{label}/{label}.meta.yaml"))
    assert rows[0] == columns
    assert meta["submission"]["label"] == label and meta["submission"]["abbreviation"] == "RefCRNN"
    assert [a.get("corresponding", False) for a in meta["submission"]["authors"]] == [True, False]
    assert meta["system"]["complexity"]["total_parameters"] == 1200000
    assert meta["results"]["development_dataset"]["overall"]
    from avbench.recipes.synth import RECIPE

    test_ids = set(RECIPE.splits(synth_root)["test"])
    files = {r[0] for r in rows[1:]}
    assert files <= {f"{c}.wav" for c in test_ids}
    if task == "synth-scene":
        assert len(rows) - 1 == len(test_ids) == len(files)
    code, printed, _ = _run(["validate", str(pkg), "--reference", str(synth_root)], capsys)
    assert code == 0 and f"valid DCASE package ({label})" in printed


def _edit(pkg: Path, dst: Path, label: str, *, meta=None, output=None, rename: str | None = None) -> Path:
    with zipfile.ZipFile(pkg) as zf:
        m = yaml.safe_load(zf.read(f"{label}/{label}.meta.yaml"))
        o = zf.read(f"{label}/{label}.output.csv").decode()
    new = rename or label
    m["submission"]["label"] = new
    if meta:
        meta(m)
    if output:
        o = output(o)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr(f"{new}/{new}.meta.yaml", yaml.safe_dump(m))
        zf.writestr(f"{new}/{new}.output.csv", o)
    return dst


LABEL = "Lovelace_AI_task1_1"


@pytest.mark.parametrize("kw, message", [
    ({"meta": lambda m: m.pop("results")}, "missing the 'results' section"),
    ({"meta": lambda m: m.pop("submission")}, "missing the 'submission' section"),
    ({"meta": lambda m: m.pop("system")}, "missing the 'system' section"),
    ({"meta": lambda m: m["submission"].update(abbreviation="WayTooLongName")}, "abbreviation must be 1-10"),
    ({"meta": lambda m: m["submission"]["authors"][1].update(corresponding=True)}, "exactly one author"),
    ({"meta": lambda m: m["submission"].update(label="Other_AI_task1_1")}, "differs from the folder label"),
    ({"meta": lambda m: m["system"]["description"].pop("decision_making")}, "system.description needs"),
    ({"output": lambda o: o.replace("scene_label", "label", 1)}, "the header must be filename <TAB> scene_label"),
    ({"output": lambda o: o.replace("\toffice", "\tkitchen", 1) if "\toffice" in o else
      o.replace("\tstreet", "\tkitchen", 1)}, "label 'kitchen' is not in the class list"),
    ({"output": lambda o: "\n".join(o.splitlines()[:-1]) + "\n"}, "unique files, the synth/test split has"),
    ({"output": lambda o: o + o.splitlines()[1] + "\n"}, "rows; scene output has one row per file"),
    ({"output": lambda o: o + "nope.wav\toffice\n"}, "file(s) not in synth/test"),
    ({"output": lambda o: o + "x.wav\n"}, "columns, expected 2"),
    ({"rename": "Lovelace_AI_task4_1"}, "a clip-classification system belongs to task1"),
    ({"rename": "lovelace"}, "must look like Lastname_Inst_taskN_K"),
])
def test_dcase_checker_rules(kw: dict, message: str, tmp_path: Path, synth_root: Path, meta_file: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _package(tmp_path, synth_root, meta_file, capsys, "synth-scene", LABEL)
    bad = _edit(pkg, tmp_path / "bad.zip", LABEL, **kw)
    with pytest.raises(InputError) as exc:
        check_dcase_package(bad, reference=synth_root)
    assert message in str(exc.value)
    code, _, err = _run(["validate", str(bad), "--reference", str(synth_root)], capsys)
    assert code == 2 and message in err and "\n" not in err.strip()


def test_dcase_needs_label_report_and_a_dcase_task(tmp_path: Path, synth_root: Path, meta_file: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.json"
    make_predictions(synth_root, "synth-ave").write(preds)
    code, _, err = _run(["submit", str(preds), "--meta", str(meta_file), "--format", "dcase"], capsys)
    assert code == 2 and "--label" in err
    report = tmp_path / "r.json"
    evaluate_predictions(preds, reference=synth_root).write_json(report)
    code, _, err = _run(["submit", str(preds), "--meta", str(meta_file), "--format", "dcase", "--label",
                         "Lovelace_AI_task1_1", "--dev-report", str(report), "--out", str(tmp_path / "o.zip")], capsys)
    assert code == 2 and "DCASE packages are written for scene classification and sound event detection" in err
    assert not (tmp_path / "o.zip").exists()
    assert check_label("Lovelace_AI_task4a_3") == "Lovelace_AI_task4a_3"
