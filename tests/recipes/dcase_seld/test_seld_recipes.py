"""The five DCASE SELD recipes on their toy sets (real layouts): splits, masks, resources, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from avbench import registry
from avbench.errors import DataNotFoundError, InputError
from avbench.recipes.dcase_seld.toy import TOY_CLIPS

NAMES = ("tau-sse-2019", "tau-nigens-sse-2020", "tau-nigens-sse-2021", "starss22", "starss23")
METRIC = {"tau-sse-2019": "seld-dcase2019", "tau-nigens-sse-2020": "seld-dcase2020",
          "tau-nigens-sse-2021": "seld-dcase2021", "starss22": "seld-dcase2022", "starss23": "seld-dcase2023"}


@pytest.fixture(scope="module")
def toys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name in NAMES:
        root = tmp_path_factory.mktemp(name) / name
        registry.dataset(name).make_toy(root)
        out[name] = root
    return out


@pytest.mark.parametrize("name", NAMES)
def test_splits_are_the_folds_deterministic_and_disjoint(name: str, toys: dict[str, Path], tmp_path: Path) -> None:
    r = registry.dataset(name)
    m = r.splits(toys[name])
    stems = {p.rpartition("/")[2] for p in TOY_CLIPS[name]}
    primary = {k: v for k, v in m.splits.items() if not r.idx["splits"][k].get("setup")}
    assert sorted(c for v in primary.values() for c in v) == sorted(stems)  # every clip in exactly one fold
    for a in primary:
        for b in primary:
            assert a == b or not set(primary[a]) & set(primary[b])
    again = tmp_path / name
    r.make_toy(again)
    assert r.splits(again).digest() == m.digest()  # membership depends on names only
    assert r.tasks()[0].metrics[0].id == METRIC[name]


def test_fold_membership_follows_the_file_names(toys: dict[str, Path]) -> None:
    m = registry.dataset("tau-sse-2019").splits(toys["tau-sse-2019"])
    assert m["fold3"] == ("split3_ir2_ov1_21",) and m["eval"] == ("split0_1", "split0_2")
    m20 = registry.dataset("tau-nigens-sse-2020").splits(toys["tau-nigens-sse-2020"])
    assert m20["dev-test"] == m20["fold1"] and m20["dev-val"] == m20["fold2"]
    assert m20["dev-train"] == m20["fold3"] + m20["fold4"] + m20["fold5"] + m20["fold6"]
    m21 = registry.dataset("tau-nigens-sse-2021").splits(toys["tau-nigens-sse-2021"])
    assert m21["dev-train"] == ("fold1_room2_mix001", "fold2_room3_mix002", "fold3_room1_mix003", "fold4_room2_mix004")
    assert m21["dev-test"] == ("fold6_room1_mix006",)
    m23 = registry.dataset("starss23").splits(toys["starss23"])
    assert m23["dev-test"] == ("fold4_room2_mix001", "fold4_room23_mix001")  # natural order: room2 before room23
    assert m23["eval"] == ("mix001",)


def test_events_carry_direction_and_distance(toys: dict[str, Path]) -> None:
    c = registry.dataset("starss23").load(toys["starss23"], split="dev-test")["fold4_room2_mix001"]
    # clip k = 3 of the toy: class 3 static in frames 0-4 at azimuth 60; class 4 moving from -60 in frames 8-11
    assert [(e.label, e.onset, e.offset, e.azimuth, e.distance) for e in c.events] == [
        ("Telephone", 0.0, 0.5, 60.0, 1.5), ("Laughter", 0.8, 0.9, -60.0, 2.2), ("Laughter", 0.9, 1.0, -58.0, 2.2),
        ("Laughter", 1.0, 1.1, -56.0, 2.2), ("Laughter", 1.1, 1.2, -54.0, 2.2)]
    assert c.duration == 2.0 and c.meta["duration_source"] == "foa"
    assert c.audio == "foa_dev/dev-test-tau/fold4_room2_mix001.wav"
    assert c.meta["formats"]["mic"] == "mic_dev/dev-test-tau/fold4_room2_mix001.wav"
    s22 = registry.dataset("starss22").load(toys["starss22"])["fold4_room2_mix001"]
    assert all(e.distance is None for e in s22.events)  # STARSS22 has no distance column
    c19 = registry.dataset("tau-sse-2019").load(toys["tau-sse-2019"], split="fold1")["split1_ir0_ov1_1"]
    assert (c19.duration, c19.events[1].onset, c19.events[1].distance) == (60.0, 0.81234, 2.0)


def test_starss23_video_masks(toys: dict[str, Path]) -> None:
    pytest.importorskip("av", reason="the toy 360-degree videos need PyAV (extra 'video')")
    clips = registry.dataset("starss23").load(toys["starss23"])
    has = {k: c.has_video for k, c in clips.items()}
    assert has == {"fold3_room4_mix001": True, "fold3_room21_mix001": False, "fold4_room2_mix001": True,
                   "fold4_room23_mix001": False, "mix001": True}
    room21 = clips["fold3_room21_mix001"]
    assert (room21.meta["video_status"], room21.meta["video_expected"], room21.video) == ("missing", False, None)
    assert clips["fold4_room23_mix001"].meta["video_status"].startswith("undecodable")
    assert clips["fold4_room23_mix001"].meta["video_expected"] is True
    info = clips["mix001"].meta["video_info"]
    assert (info["width"], info["height"], info["fps"]) == (64, 32, 29.97) and info["duration"] == pytest.approx(2.0, abs=0.05)
    assert clips["mix001"].video == "video_eval/mix001.mp4" and not clips["mix001"].meta["labelled"]
    assert not any(c.has_video for c in registry.dataset("starss22").load(toys["starss22"]).values())


def test_unlabelled_splits_are_refused_for_scoring(toys: dict[str, Path], tmp_path: Path) -> None:
    r = registry.dataset("starss23")
    with pytest.raises(InputError, match=r"starss23/eval: 1 of 1 clips have no metadata file .*not released"):
        r.reference(toys["starss23"], r.tasks()[0], "eval")
    root = tmp_path / "s22"
    shutil.copytree(toys["starss22"], root)
    shutil.rmtree(root / "metadata_dev")
    s22 = registry.dataset("starss22")
    assert len(s22.load(root, split="dev-test")) == 2  # audio alone still lists the clips
    with pytest.raises(InputError, match=r"--parts meta"):
        s22.reference(root, s22.tasks()[0], "dev-test")


def test_unknown_split_stray_copies_and_missing_data(toys: dict[str, Path], tmp_path: Path) -> None:
    r = registry.dataset("tau-nigens-sse-2021")
    with pytest.raises(InputError, match=r"has no split 'test'; its splits are fold1, "):
        r.load(toys["tau-nigens-sse-2021"], split="test")
    root = tmp_path / "t21"
    shutil.copytree(toys["tau-nigens-sse-2021"], root)
    shutil.copy(root / "metadata_dev/dev-train/fold1_room2_mix001.csv", root / "metadata_dev/dev-val/")
    with pytest.raises(InputError, match=r"fold1_room2_mix001' has two metadata files"):
        r.load(root)
    with pytest.raises(DataNotFoundError, match=r"avbench download tau-nigens-sse-2021"):
        r.load(tmp_path / "empty")
    with pytest.raises(DataNotFoundError, match=r"--parts meta"):
        r.splits(None)


def test_resources_multi_volume_parts_and_split_selection() -> None:
    r = registry.dataset("tau-sse-2019")
    res = {x.path: x for x in r.resources(parts=("foa",))}
    assert sorted(res) == ["archives/foa_dev.z01", "archives/foa_dev.z02", "archives/foa_dev.zip", "archives/foa_eval.zip"]
    z = res["archives/foa_dev.zip"]
    assert z.volumes == ("archives/foa_dev.z01", "archives/foa_dev.z02") and z.extract_to == "."
    assert res["archives/foa_dev.z01"].extract_to is None and z.md5 == "2154ad0d9e1e45bfc933b39591b49206"
    assert (z.source.record, z.source.title) == (2599196, r.idx["records"]["dev"]["title"])
    assert res["archives/foa_eval.zip"].source.record == 3377088
    ev = [x.path for x in r.resources(parts=("meta", "mic"), split="eval")]
    assert ev == ["archives/mic_eval.zip", "archives/metadata_eval.zip"]
    s23 = registry.dataset("starss23")
    assert [x.path for x in s23.resources(parts=("video",))] == ["archives/video_dev.zip", "archives/video_eval.zip"]
    assert [x.path for x in s23.resources(parts=("video_dev", "meta"))] == ["archives/metadata_dev.zip",
                                                                            "archives/video_dev.zip"]
    with pytest.raises(InputError, match=r"has no part\(s\) video; its parts are meta, foa, mic"):
        registry.dataset("starss22").resources(parts=("video",))


def test_video_and_audio_availability_have_three_states(toys: dict[str, Path], tmp_path: Path) -> None:
    """Video not downloaded = unknown, except the 12 recordings the release documents as audio-only."""
    root = tmp_path / "s23"
    shutil.copytree(toys["starss23"], root, ignore=shutil.ignore_patterns("video_*", "avbench", "foa_eval", "mic_eval"))
    clips = registry.dataset("starss23").load(root)
    assert {k: c.has_video for k, c in clips.items()} == {
        "fold3_room4_mix001": None, "fold3_room21_mix001": False, "fold4_room2_mix001": None,
        "fold4_room23_mix001": None}
    assert clips["fold4_room2_mix001"].meta["video_status"] == "unknown (video not downloaded)"
    assert all(c.has_audio for c in clips.values())
    shutil.rmtree(root / "foa_dev")
    shutil.rmtree(root / "mic_dev")
    assert {c.has_audio for c in registry.dataset("starss23").load(root).values()} == {None}
    (root / "foa_dev").mkdir()  # the audio folder is there, the clip's file is not: missing
    assert {c.has_audio for c in registry.dataset("starss23").load(root).values()} == {False}
    assert {c.has_video for c in registry.dataset("tau-sse-2019").load(toys["tau-sse-2019"]).values()} == {False}


def test_starss23_evaluation_archives_come_from_the_later_version() -> None:
    r = registry.dataset("starss23")
    rec = {x.path.rsplit("/", 1)[1]: x.source.record for x in r.resources(parts=r.parts)}
    assert rec == {"metadata_dev.zip": 7709052, "foa_dev.zip": 7709052, "mic_dev.zip": 7709052,
                   "video_dev.zip": 7709052, "foa_eval.zip": 7880637, "mic_eval.zip": 7880637, "video_eval.zip": 7880637}
    assert all(x.md5 is None and x.source.title for x in r.resources(parts=r.parts))


def test_an_evaluation_clip_with_only_its_video_takes_the_video_duration(toys: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("av", reason="the toy 360-degree videos need PyAV (extra 'video')")
    root = tmp_path / "s23"
    shutil.copytree(toys["starss23"], root, ignore=shutil.ignore_patterns("foa_eval", "mic_eval"))
    clip = registry.dataset("starss23").load(root, split="eval")["mix001"]
    assert clip.meta["duration_source"] == "video" and clip.duration == pytest.approx(2.0, abs=0.05)
    assert clip.has_audio is None and clip.has_video


def test_index_md5s_and_records_match_the_hosting_facts(reference_dir: Path) -> None:
    """Every md5 and record id in the indexes equals the table of ../shared/reference/README.md (section 4)."""
    import re

    text = (reference_dir / "README.md").read_text()
    table = text.split("### Hosting facts (SELD)", 1)[1].split("\n\n", 2)[1]
    facts: dict[int, dict[str, str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 3 or not re.match(r"\d+", cells[1]):
            continue
        record = int(re.match(r"\d+", cells[1]).group())
        facts[record] = dict(re.findall(r"([\w.]+) `([0-9a-f]{32})`", cells[2]))
    checked = 0
    for name in NAMES:
        idx = registry.dataset(name).idx
        for f in idx["files"]:
            rec = idx["records"][f["record"]]["id"]
            if "md5" in f:
                assert facts[rec][f["key"]] == f["md5"], (name, f["key"])
                checked += 1
        for rec in {r["id"] for r in idx["records"].values()} & set(facts):
            assert set(facts[rec]) <= {f["key"] for f in idx["files"]}, (name, rec)  # no listed file left out
    assert checked == 6 + 3 + 10 + 8 + 3
