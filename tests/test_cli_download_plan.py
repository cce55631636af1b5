"""``avbench download NAME --dry-run --json [-|FILE]``: the machine-readable plan (parts, files,
sizes, hashes, what is on disk, totals) for recipes of every kind: plain files (AVE), Zenodo
archives (TAU), generated data (synth), an AudioSet subset chosen before any byte, and YouTube
clips listed from metadata already on disk (DESED's toy)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from avbench.cli import main


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _plan(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str, mirror: bool = True) -> dict:
    where = tmp_path / "mirror"
    where.mkdir(parents=True, exist_ok=True)
    code, out, err = _run(["download", name, "--dry-run", "--json", "--data-dir", str(tmp_path / "data"),
                           *(["--mirror", str(where)] if mirror else []), *extra], capsys)
    assert code == 0, err
    return json.loads(out)  # stdout is the JSON only: the plan's lines went to stderr


def test_plain_files_with_sizes_hashes_and_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan("ave", tmp_path, capsys, "--parts", "meta")
    assert plan["format"] == "avbench-download-plan" and plan["dataset"] == "ave" and plan["parts"] == ["meta"]
    f = {x["path"]: x for x in plan["files"]}["data/Annotations.txt"]
    assert (f["size"], f["sha256"][:12], f["status"], f["bytes_on_disk"]) == (144287, "0d24a9ec5cd4", "missing", 0)
    assert f["url"].startswith("file://") and f["url"].endswith("/data/Annotations.txt")
    t = plan["totals"]
    assert t["files"] == len(plan["files"]) == t["files_to_fetch"] and t["bytes"] == sum(x["size"] for x in plan["files"])
    assert t["bytes_to_fetch"] == t["bytes"] and plan["by_part"]["meta"]["files"] == t["files"]
    assert not (tmp_path / "data" / "ave").exists()  # a dry run writes nothing


def test_what_is_already_on_disk(reference_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data" / "audioset"
    (root / "meta").mkdir(parents=True)
    shutil.copyfile(reference_dir / "audioset/audioset_ontology/ontology.json", root / "meta/ontology.json")
    (root / "meta/eval_segments.csv").write_bytes(b"# a copy cut short\n")
    plan = _plan("audioset", tmp_path, capsys)
    files = {x["path"]: x for x in plan["files"]}
    assert files["meta/ontology.json"]["status"] == "present"
    assert files["meta/ontology.json"]["bytes_on_disk"] == 342780 and files["meta/ontology.json"]["bytes_to_fetch"] == 0
    assert files["meta/eval_segments.csv"]["status"] == "invalid"
    t = plan["totals"]
    assert t["files_by_status"]["present"] == 1 and t["files_to_fetch"] == t["files"] - 1
    assert t["bytes_to_fetch"] == t["bytes"] - 342780 and t["bytes_on_disk"] == 342780


def test_audioset_subset_is_counted_before_any_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan("audioset", tmp_path, capsys, "--split", "eval", "--classes", "Dog,Cat", "--include-descendants")
    sub = plan["subset"]
    assert sub["split"] == "eval" and sub["clips"] == len(sub["clip_ids"]) > 0
    narrow = _plan("audioset", tmp_path, capsys, "--split", "eval", "--classes", "Dog,Cat")["subset"]
    assert narrow["clips"] < sub["clips"]  # descendants (Bark, Purr, ...) add clips
    sample = _plan("audioset", tmp_path, capsys, "--split", "eval", "--sample", "25", "--seed", "3")["subset"]
    assert sample["clips"] == 25
    with_media = _plan("audioset", tmp_path, capsys, "--split", "eval", "--classes", "Dog,Cat", "--parts", "audio")
    assert with_media["totals"]["clips"] == with_media["subset"]["clips"] == narrow["clips"]
    assert with_media["totals"]["clips_by_status"] == {"not recorded": narrow["clips"]}
    assert {c["mode"] for c in with_media["clips"]} == {"audio"}


def test_zenodo_archives_per_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan("tau-urban-av-2021", tmp_path, capsys, "--parts", "meta,audio", "--split", "eval")
    assert set(plan["by_part"]) == {"meta", "audio"} and plan["split"] == "eval"
    assert all("evaluation" in f["path"] and f["md5"] and f["splits"] == ["eval"] for f in plan["files"])
    assert plan["totals"]["bytes"] == sum(f["size"] for f in plan["files"]) > 10**10


def test_generated_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan("synth", tmp_path, capsys, mirror=False)
    assert plan["files"] == [] and plan["generate"]["state"] == "generate" and plan["generate"]["network"] is False
    assert plan["generate"]["clips"] == 150


def test_youtube_clips_from_metadata_on_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from avbench.recipes.desed import RECIPE

    RECIPE.make_toy(tmp_path / "data" / "desed")
    plan = _plan("desed", tmp_path, capsys, "--parts", "video")
    clips = {c["clip_id"]: c for c in plan["clips"]}
    assert clips["Y00pbt6aJV8Y_350.000_360.000"]["status"] == "ok" and not clips["Y00pbt6aJV8Y_350.000_360.000"]["to_fetch"]
    assert clips["Y00pK0GMmE9s_70.000_80.000"]["status"] == "removed"
    assert clips["Y01TVBl2a8lQ_30.000_40.000"] == {**clips["Y01TVBl2a8lQ_30.000_40.000"], "status": "not recorded",
                                                  "to_fetch": True, "start": 30.0, "end": 40.0, "mode": "av"}
    assert plan["totals"]["clips_to_fetch"] == len(clips) - 2
    empty = _plan("desed", tmp_path / "none", capsys, "--parts", "audio")
    assert empty["clips"] == [] and "once the metadata is on disk" in empty["youtube"]


def test_json_to_a_file_keeps_the_lines_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mirror").mkdir()
    dest = tmp_path / "plan.json"
    code, out, _ = _run(["download", "ave", "--parts", "meta", "--dry-run", "--json", str(dest), "--data-dir",
                         str(tmp_path / "data"), "--mirror", str(tmp_path / "mirror")], capsys)
    assert code == 0 and "would fetch" in out and json.loads(dest.read_text())["totals"]["files"] == 9
    code, out, _ = _run(["download", "ave", "--parts", "meta", "--dry-run", "--json", "-", "--data-dir",
                         str(tmp_path / "data"), "--mirror", str(tmp_path / "mirror")], capsys)
    assert code == 0 and json.loads(out)["dataset"] == "ave"


def test_json_without_dry_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["download", "ave", "--json", "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and "add --dry-run" in err and len(err.strip().splitlines()) == 1 and out == ""
