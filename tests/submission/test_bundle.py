"""``avbench submit`` / ``avbench validate``: bundles on the tiny synth benchmark, the metadata
schema, and that a tampered or malformed bundle is refused with a one-line reason."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml
from _submission_fixtures import META, make_predictions

from avbench.cli import main
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions
from avbench.submission import build_bundle, check_meta, read_bundle, validate_bundle
from avbench.submission.bundle import Limits


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _bundle(tmp_path: Path, synth_root: Path, task: str = "synth-scene", **kw) -> Path:
    preds = tmp_path / f"{task}.preds.json"
    make_predictions(synth_root, task, **kw).write(preds)
    out = tmp_path / f"{task}.zip"
    build_bundle(preds, check_meta(META, source="system.yaml", partial=True), out)
    return out


@pytest.mark.parametrize("task", ["synth-scene", "synth-sed", "synth-ave"])
def test_submit_then_validate_scores_like_evaluate(task: str, tmp_path: Path, synth_root: Path, meta_file: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.preds.json"
    make_predictions(synth_root, task, noise=0.3).write(preds)
    out = tmp_path / "bundle.zip"
    code, printed, err = _run(["submit", str(preds), "--meta", str(meta_file), "--out", str(out),
                               "--reference", str(synth_root)], capsys)
    assert code == 0, err
    assert "checked against the local split" in printed
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["predictions.json", "submission.json"]
        assert zf.read("predictions.json") == preds.read_bytes()
        system = json.loads(zf.read("submission.json"))["system"]
    assert system["avbench_version"] and len(system["predictions_sha256"]) == 64
    code, printed, err = _run(["validate", str(out), "--reference", str(synth_root)], capsys)
    assert code == 0 and "valid submission of 'Reference CRNN'" in printed
    bundle, report = validate_bundle(out, reference=synth_root)
    direct = evaluate_predictions(preds, reference=synth_root)
    assert report.to_dict()["metrics"] == direct.to_dict()["metrics"]
    assert bundle.system["authors"][0]["corresponding"] is True


def test_validate_without_the_split_on_disk_checks_what_it_can(tmp_path: Path, synth_root: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = _bundle(tmp_path, synth_root)
    code, printed, _ = _run(["validate", str(out), "--data-dir", str(tmp_path / "empty")], capsys)
    assert code == 0 and "clip ids not checked here" in printed


@pytest.mark.parametrize("change, message", [
    ({"authors": [{"name": "A", "email": "a@b.org"}]}, "exactly one author must have 'corresponding: true', found 0"),
    ({"authors": [{"name": "A", "email": "a@b.org", "corresponding": True},
                  {"name": "B", "email": "b@b.org", "corresponding": True}]}, "found 2"),
    ({"authors": [{"name": "A", "corresponding": True}]}, "corresponding author 'A' needs an 'email'"),
    ({"contact": "not an address"}, "field 'contact' must be an e-mail address"),
    ({"code_url": "javascript:alert(1)"}, "field 'code_url' must be an http(s) URL or null"),
    ({"parameters": "1M"}, "field 'parameters' must be an integer >= 0"),
    ({"parameters": True}, "field 'parameters' must be an integer >= 0"),
    ({"training_data": "synth"}, "field 'training_data' must be a list of non-empty strings"),
    ({"external_data": None}, "field 'external_data' must be a list"),
    ({"system_name": " "}, "field 'system_name' must be a non-empty string"),
    ({"sytem_name": "typo"}, "unknown field(s) ['sytem_name']"),
    ({"predictions_sha256": "abc"}, "field 'predictions_sha256' must be 64 lower-case hex digits"),
])
def test_metadata_schema(change: dict, message: str) -> None:
    with pytest.raises(InputError, match="^system.yaml: ") as exc:
        check_meta({**META, **change}, source="system.yaml", partial=True)
    assert message in str(exc.value)


@pytest.mark.parametrize("field", ["system_name", "authors", "contact", "description", "code_url", "training_data",
                                   "external_data", "parameters"])
def test_every_metadata_field_is_required(field: str) -> None:
    meta = {k: v for k, v in META.items() if k != field}
    with pytest.raises(InputError, match=f"missing field '{field}'"):
        check_meta(meta, source="system.yaml", partial=True)


def test_submit_bad_meta_is_one_line_and_writes_nothing(tmp_path: Path, synth_root: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.json"
    make_predictions(synth_root, "synth-scene").write(preds)
    meta = tmp_path / "system.yaml"
    meta.write_text(yaml.safe_dump({**META, "parameters": -3}))
    out = tmp_path / "b.zip"
    code, _, err = _run(["submit", str(preds), "--meta", str(meta), "--out", str(out)], capsys)
    assert code == 2 and "\n" not in err.strip() and "parameters" in err and not out.exists()
    meta.write_text("system_name: [unclosed\n")
    code, _, err = _run(["submit", str(preds), "--meta", str(meta), "--out", str(out)], capsys)
    assert code == 2 and "malformed YAML at line" in err and not out.exists()


def test_submit_unknown_clip_is_refused_like_evaluate(tmp_path: Path, synth_root: Path, meta_file: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    p = make_predictions(synth_root, "synth-scene")
    p.add("no-such-clip", clip_scores=[1.0, 0.0, 0.0])
    preds = tmp_path / "p.json"
    p.write(preds)
    out = tmp_path / "b.zip"
    code, _, err = _run(["submit", str(preds), "--meta", str(meta_file), "--out", str(out),
                         "--reference", str(synth_root)], capsys)
    assert code == 2 and "1 clip id(s) not in synth/test (e.g. 'no-such-clip')" in err and not out.exists()
    with pytest.raises(InputError) as direct:
        evaluate_predictions(preds, reference=synth_root)
    assert str(direct.value).split(": ", 1)[1] in err


def _rewrite(src: Path, dst: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_tampered_predictions_fail_the_sha256(tmp_path: Path, synth_root: Path) -> None:
    m = _members(_bundle(tmp_path, synth_root))
    m["predictions.json"] = m["predictions.json"].replace(b"0.9", b"0.8", 1)
    with pytest.raises(InputError, match="the bundle was altered"):
        read_bundle(_rewrite(tmp_path / "x.zip", tmp_path / "bad.zip", m))


@pytest.mark.parametrize("mutate, message", [
    (lambda m: {**m, "extra.txt": b"x"}, "a bundle holds exactly submission.json and predictions.json"),
    (lambda m: {"predictions.json": m["predictions.json"]}, "a bundle holds exactly"),
    (lambda m: {**m, "submission.json": b"{not json"}, "submission.json: malformed JSON"),
    (lambda m: {**m, "submission.json": b'{"format": "other"}'}, "field 'format' must be 'avbench-submission'"),
    (lambda m: {**m, "../evil": b"x"}, "refused:"),
])
def test_malformed_bundles_are_refused(mutate, message: str, tmp_path: Path, synth_root: Path) -> None:
    bad = _rewrite(tmp_path, tmp_path / "bad.zip", mutate(_members(_bundle(tmp_path, synth_root))))
    with pytest.raises(InputError, match="^bad.zip") as exc:
        read_bundle(bad)
    assert message in str(exc.value)


def test_bundle_limits_are_checked_before_unpacking(tmp_path: Path, synth_root: Path) -> None:
    bundle = _bundle(tmp_path, synth_root)
    with pytest.raises(InputError, match="unpacks to .* bytes, more than the 100 allowed"):
        read_bundle(bundle, limits=Limits(max_unpacked=100))
    with pytest.raises(InputError, match="3 members, at most 2 allowed"):
        read_bundle(_rewrite(tmp_path, tmp_path / "many.zip", {**_members(bundle), "x": b""}),
                    limits=Limits(max_members=2))
