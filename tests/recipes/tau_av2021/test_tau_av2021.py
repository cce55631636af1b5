"""``tau-urban-av-2021``: the real fold-1 lists, the validation carve, downloads by part over a loopback
Zenodo, and the two scene tasks scored end to end."""

from __future__ import annotations

import hashlib
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _archives import _zip

import avbench.recipes.tau_av2021 as tau
import avbench.recipes.tau_av2021.metadata as tau_meta
from avbench.errors import DownloadError, InputError
from avbench.evaluation import evaluate_predictions
from avbench.predictions import Predictions
from avbench.recipes.tau_av2021 import RECIPE
from avbench.recipes.tau_av2021.metadata import carve_validation, read_setup, set_dir
from avbench.recipes.tau_av2021.toy import write_toy

SETUP = "tau_av_2021/shanwangshan_TAU-urban-audio-visual-scenes/create_data/evaluation_setup"


@pytest.fixture(scope="module")
def fold1_train(reference_dir: Path) -> list[Any]:
    """The official fold1_train: the baseline's train.csv + val.csv (comma-separated copies)."""
    base = reference_dir / SETUP
    return [*read_setup(base / "train.csv", labels=RECIPE.classes), *read_setup(base / "val.csv", labels=RECIPE.classes)]


def test_real_fold1_train_parses_with_the_known_class_counts(fold1_train: list[Any]) -> None:
    assert len(fold1_train) == tau_meta.index()["sets"]["development"]["expected"]["fold1_train"] == 8646
    counts = {c: sum(r.scene == c for r in fold1_train) for c in RECIPE.classes}
    assert counts["metro"] == 705 and counts["metro_station"] == 893 and counts["airport"] == 697  # paper 004 Table V
    assert {r.city for r in fold1_train} == {"barcelona", "helsinki", "lisbon", "london", "lyon", "milan", "paris",
                                             "prague", "stockholm", "vienna"}
    first = fold1_train[0]
    assert (first.clip_id, first.location, first.video) == ("airport-london-6-257", "london-6", "video/airport-london-6-257.mp4")


def test_validation_carve_on_the_real_list_keeps_locations_apart(fold1_train: list[Any]) -> None:
    v = tau_meta.index()["validation"]
    val = carve_validation(fold1_train, seed=v["seed"], fraction=v["fraction"])
    train_locs = {r.location for r in fold1_train if r.clip_id not in val}
    val_locs = {r.location for r in fold1_train if r.clip_id in val}
    assert val_locs and not train_locs & val_locs
    for c in RECIPE.classes:
        n = sum(r.scene == c for r in fold1_train)
        n_val = sum(r.scene == c and r.clip_id in val for r in fold1_train)
        assert 0.1 * n - 1 <= n_val <= 0.2 * n, (c, n_val, n)  # about 10 %, whole locations
    shuffled = list(fold1_train)
    random.Random(0).shuffle(shuffled)
    assert carve_validation(shuffled, seed=v["seed"], fraction=v["fraction"]) == val  # order-free, deterministic
    assert carve_validation(fold1_train, seed=v["seed"] + 1, fraction=v["fraction"]) != val


def test_toy_splits_are_disjoint_by_location_and_the_manifest_is_written(tmp_path: Path) -> None:
    root = tmp_path / "tau"
    RECIPE.make_toy(root)
    m = RECIPE.splits(root)
    clips = RECIPE.load(root)
    locs = {s: {clips[c].meta["location"] for c in ids} for s, ids in m.splits.items()}
    assert not locs["train"] & locs["val"] and not locs["train"] & locs["test"]
    written = __import__("json").loads((root / "avbench" / "splits-1.0.json").read_text())
    assert written["sha256"] == m.digest() and written["splits"]["val"] == list(m["val"])
    assert written["validation"] == {"seed": 2021, "fraction": 0.1, "unit": "location"}


def test_a_setup_file_with_an_unknown_scene_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "fold1_train.csv"
    p.write_text("filename_audio\tfilename_video\tscene_label\naudio/a-b-1-2.wav\tvideo/a-b-1-2.mp4\tbeach\n")
    with pytest.raises(InputError, match=r"fold1_train.csv:2: scene_label 'beach' is not one of the 10 classes"):
        read_setup(p, labels=RECIPE.classes)
    p.write_text("name\tscene_label\n")
    with pytest.raises(InputError, match="expected a header with 'filename_audio'"):
        read_setup(p, labels=RECIPE.classes)


def test_setup_rows_are_checked_against_meta_csv(tmp_path: Path) -> None:
    root = tmp_path / "tau"
    write_toy(root, media=False)
    meta = set_dir(root, "development") / "meta.csv"
    text = meta.read_text()
    meta.write_text(text.replace("airport-lisbon-3-30.mp4\tairport", "airport-lisbon-3-30.mp4\tpark"))
    with pytest.raises(InputError, match=r"meta.csv: 'airport-lisbon-3-30' is 'park' there but 'airport'"):
        RECIPE.splits(root)
    meta.write_text("\n".join(line for line in text.splitlines() if "bus-vienna-4-40" not in line) + "\n")
    with pytest.raises(InputError, match=r"meta.csv: has no row for 'audio/bus-vienna-4-40.wav'"):
        RECIPE.splits(root)


# -- download by part over a loopback Zenodo ---------------------------------------------------------
@pytest.fixture
def served(loopback: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    pytest.importorskip("av", reason="the toy videos need PyAV (extra 'video')")
    src = tmp_path / "src"
    write_toy(src)
    base = set_dir(src, "development")
    prefix = base.name

    def members(paths: list[Path]) -> dict[str, bytes]:
        return {p.relative_to(src).as_posix(): p.read_bytes() for p in paths}

    audio = sorted((base / "audio").iterdir())
    archives = {
        "doc.zip": _zip({f"{prefix}/README.md": b"toy\n"}),
        "meta.zip": _zip(members([base / "meta.csv", *sorted((base / "evaluation_setup").iterdir())])),
        "audio.1.zip": _zip(members(audio[: len(audio) // 2])),
        "audio.2.zip": _zip(members(audio[len(audio) // 2:])),
        "video.1.zip": _zip(members(sorted((base / "video").iterdir()))),
    }
    loopback.zenodo_record(4477542, "TAU Urban Audio-Visual Scenes 2021, Development dataset",
                           {f"{prefix}.{k}": v for k, v in archives.items()})
    idx = dict(tau_meta.index())
    idx["sets"] = {"development": {**idx["sets"]["development"], "files": [
        {"name": f"{prefix}.{k}", "part": k.split(".")[0].replace("doc", "meta"), "size": len(v),
         "md5": hashlib.md5(v).hexdigest()} for k, v in archives.items()]},
        "evaluation": {**idx["sets"]["evaluation"], "files": []}}
    monkeypatch.setattr(tau_meta, "index", lambda: idx)
    monkeypatch.setattr(tau, "index", lambda: idx)
    return {"index": idx, "archives": archives}


def _fetched(server: Any) -> list[str]:
    return [r[1].split("/files/")[1].split("/")[0] for r in server.log if r[0] == "GET" and "/files/" in r[1]]


def test_audio_only_user_never_fetches_video(served: dict[str, Any], loopback: Any, tmp_path: Path) -> None:
    root = tmp_path / "tau"
    RECIPE.prepare(root, parts=("meta", "audio"), split="test", quiet=True)
    assert not any(".video." in name for name in _fetched(loopback))
    clips = RECIPE.load(root)
    assert len(clips) == 18 and all(c.has_audio for c in clips.values())
    assert all(c.has_video is None for c in clips.values())  # no video part fetched: unknown, not missing
    assert (root / "avbench" / "splits-1.0.json").is_file()
    RECIPE.prepare(root, parts=("video",), quiet=True)
    assert sorted(k for k, c in RECIPE.load(root).items() if c.has_video is False) == ["bus-vienna-6-61", "park-lisbon-8-81"]
    n = len(_fetched(loopback))
    RECIPE.prepare(root, parts=("meta", "audio", "video"), quiet=True)  # everything verified on disk: no GET
    assert len(_fetched(loopback)) == n


def test_a_wrong_md5_in_the_index_fails_naming_the_archive(served: dict[str, Any], tmp_path: Path) -> None:
    served["index"]["sets"]["development"]["files"][1]["md5"] = "0" * 32
    with pytest.raises(DownloadError, match=r"meta\.zip"):
        RECIPE.prepare(tmp_path / "tau", parts=("meta",), quiet=True)


def test_every_archive_of_the_index_is_a_zenodo_resource_with_size_and_md5() -> None:
    dev = RECIPE.resources(parts=RECIPE.parts, split="train")
    names = [r.path.removeprefix("TAU-urban-audio-visual-scenes-2021-development.") for r in dev]
    assert names == ["doc.zip", "meta.zip", *(f"audio.{i}.zip" for i in range(1, 9)),
                     *(f"video.{i}.zip" for i in range(1, 17))]
    assert all(r.size and r.md5 and r.source.record == 4477542 for r in dev)
    ev = RECIPE.resources(parts=("audio",), split="eval")
    assert [r.source.record for r in ev] == [4767103] * 5
    assert sum(r.size for r in RECIPE.resources(parts=("video",), split="test")) == 77_216_775_321
    with pytest.raises(InputError, match="no split 'dev'"):
        RECIPE.resources(parts=("meta",), split="dev")


# -- the scene tasks ----------------------------------------------------------------------------------
def _score(root: Path, task: str, content: dict[str, dict[str, Any]]) -> dict[str, float]:
    p = Predictions(benchmark=RECIPE.name, task=task, split="test")
    for cid, c in content.items():
        p.add(cid, **c)
    report = evaluate_predictions(p, reference=root)
    return {r.id: float(r.overall[r.id]) for r in report.results}


def test_recording_and_segment_tasks_score_log_loss_and_accuracy(tmp_path: Path) -> None:
    root = tmp_path / "tau"
    RECIPE.make_toy(root)
    test = RECIPE.load(root, split="test")
    labels = RECIPE.classes
    # each recording gives its true class p = 0.5 except the first, which puts 0.5 on 'tram'
    clip_scores = {}
    for i, (cid, c) in enumerate(test.items()):
        s = np.full(10, 0.5 / 9)
        s[labels.index(c.clip_labels[0])] = 0.5
        if i == 0:
            s[:] = 0.5 / 9
            s[labels.index("tram")] = 0.5
        clip_scores[cid] = {"clip_scores": s.tolist()}
    got = _score(root, "tau-urban-av-2021-scene", clip_scores)
    # classes airport (2 recordings, one of them at p = 0.5/9), bus, park: macro over the 3 present classes
    expected = (0.5 * (math.log(2) + math.log(18)) + math.log(2) + math.log(2)) / 3
    assert got["log_loss"] == pytest.approx(expected, abs=1e-12)
    assert got["accuracy"] == pytest.approx(5 / 6) and got["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    # per 1-s segment: a perfect first half of every recording, uniform over the 10 scenes after
    seg = {}
    for cid, c in test.items():
        rows = []
        for k in range(10):
            row = np.zeros(11)
            row[labels.index(c.clip_labels[0])] = 1.0 if k < 5 else 0.0
            if k >= 5:
                row[:10] = 0.1
            rows.append(row.tolist())
        seg[cid] = {"segment_scores": rows}
    got = _score(root, "tau-urban-av-2021-scene-1s", seg)
    assert got["log_loss"] == pytest.approx(0.5 * math.log(10), abs=1e-9)  # 1e-15 clipping adds < 1e-14
    assert got["accuracy"] == pytest.approx(0.5 + 0.5 * (2 / 6), abs=1e-12)  # uniform ties: argmax takes airport (2 of 6)
