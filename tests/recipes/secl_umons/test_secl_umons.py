"""SECL-UMONS / AVECL-UMONS: simulated sequences in the UMA-8-SP geometry, metadata parsing, directions,
split rules and lists, per-camera masks, Zenodo records resolved by title, and the tasks scored."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _archives import _zip

from avbench.errors import DownloadError, InputError
from avbench.evaluation import evaluate_predictions
from avbench.predictions import Predictions
from avbench.recipes.avecl_umons import RECIPE as AVECL
from avbench.recipes.secl_umons import RECIPE as SECL
from avbench.recipes.secl_umons import read_array
from avbench.recipes.secl_umons.layout import EventRow, SequenceRow, direction, read_metadata
from avbench.recipes.secl_umons.splits import SCHEMES, carve_val, scheme_splits
from avbench.recipes.secl_umons.toy import MULTILABEL, UNILABEL, toy_xyz, write_toy


@pytest.fixture(scope="module")
def secl_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("secl") / "secl-umons"
    SECL.make_toy(root)
    return root


@pytest.fixture(scope="module")
def avecl_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("av", reason="the toy webcam videos need PyAV (extra 'video')")
    root = tmp_path_factory.mktemp("avecl") / "avecl-umons"
    AVECL.make_toy(root)
    return root


def test_sequences_pair_seven_microphones_with_their_labels_and_directions(secl_root: Path) -> None:
    clips = SECL.load(secl_root)
    assert len(clips) == len(UNILABEL) + len(MULTILABEL) == 24
    c = clips["unilabel-room2_array_4_2_2"]
    assert c.clip_labels == ("knock",) and c.duration == 3.0 and c.meta["room"] == 2
    assert c.meta["subclasses"] == ["2"] and len(c.meta["mics"]) == 7 and c.audio.endswith("micro0_4_2_2.wav")
    x, y, z = toy_xyz(4, 2, 2, 2)
    ev = c.events[0]
    assert (ev.onset, ev.offset) == (0.0, 3.0)
    assert ev.azimuth == pytest.approx(math.degrees(math.atan2(y, x)), abs=1e-9)
    assert ev.elevation == pytest.approx(math.degrees(math.atan2(z, math.hypot(x, y))), abs=1e-9)
    m = clips["multilabel-room1_array_0_4_2"]
    assert m.duration == 4.0 and m.clip_labels == ("chair_movement", "knock") and len(m.events) == 2
    assert [e.label for e in m.events] == ["chair_movement", "knock"]
    assert read_array(secl_root, m).shape == (7, 16000)


def test_srp_phat_on_the_simulated_array_recovers_the_metadata_azimuth(secl_root: Path) -> None:
    """Channel order, array geometry and the atan2 convention agree: a classical DOA estimate from
    the seven files lands on the azimuth the loader derives from x, y."""
    pra = pytest.importorskip("pyroomacoustics")
    from avbench.recipes.synth.render import mic_positions

    clips = SECL.load(secl_root, split="unilabel-split2-test")
    for c in list(clips.values())[:4]:
        x = read_array(secl_root, c)
        spectra = np.array([pra.transform.stft.analysis(s, 256, 128).T for s in x])
        doa = pra.doa.algorithms["SRP"](mic_positions([0, 0, 0])[:2], 4000, 256, c=343.0, num_src=1)
        doa.locate_sources(spectra, freq_range=[500, 1900])
        err = (math.degrees(doa.azimuth_recon[0]) - c.events[0].azimuth + 180) % 360 - 180
        assert abs(err) < 10, (c.id, err)


def test_direction_is_relative_to_the_array_position() -> None:
    assert direction(0.0, -2.0, 0.0) == (-90.0, 0.0, 2.0)
    az, el, dist = direction(4.0, 3.0, 1.0, origin=(3.0, 2.0, 1.0))
    assert (az, el) == pytest.approx((45.0, 0.0)) and dist == pytest.approx(math.sqrt(2))
    assert direction(1.0, 1.0, 1.0, origin=(1.0, 1.0, 1.0))[2] is None


def test_shipped_list_is_used_and_thesis_rules_fill_the_other_schemes(secl_root: Path) -> None:
    m = SECL.splits(secl_root)
    clips = SECL.load(secl_root)
    test1 = m["unilabel-split1-test"]
    assert sorted(test1) == sorted(f"unilabel-room{r}_array_{c}_{s}_{n}" for c, s, r, n in UNILABEL if n == 2)
    # split2: one subclass per class held out, never seen in train or val
    held = {(clips[i].clip_labels[0], clips[i].meta["subclasses"][0]) for i in m["unilabel-split2-test"]}
    assert len(held) == 2 and len({c for c, _ in held}) == 2
    rest = m["unilabel-split2-train"] + m["unilabel-split2-val"]
    assert not held & {(clips[i].clip_labels[0], clips[i].meta["subclasses"][0]) for i in rest}
    # multilabel split2: held-out duos
    duo = lambda i: clips[i].clip_labels  # noqa: E731
    assert not {duo(i) for i in m["multilabel-split2-test"]} & {duo(i) for i in m["multilabel-split2-train"]}
    written = json.loads((secl_root / "avbench" / "splits-1.0.json").read_text())
    assert written["sha256"] == m.digest() and written["seed"] == 2020
    assert written["sources"]["unilabel-split1"].startswith("list SECL-UMONS/unilabel_split1_train.csv")
    assert written["sources"]["multilabel-split1"] == "rule: random per class duo and room"
    for scheme in SCHEMES:  # every sequence of the population sits in exactly one part of each scheme
        parts = [set(m[f"{scheme}-{p}"]) for p in ("train", "val", "test")]
        pop = scheme.split("-")[0]
        assert set().union(*parts) == {k for k, c in clips.items() if c.meta["population"] == pop}
        assert sum(map(len, parts)) == len(set().union(*parts))


def _fake(n_classes: int = 11, per_room: int = 121) -> list[SequenceRow]:
    labels = SECL.classes
    return [SequenceRow("unilabel", f"room{r}_array_{c}_{i % 4}_{i}", r,
                        (EventRow(labels[c], str(i % 4), 1.0, 0.0, 0.0),), "x.csv")
            for c in range(n_classes) for r in (1, 2) for i in range(per_room)]


def test_thesis_rules_at_full_scale_give_the_published_test_size_and_a_validation_set(tmp_path: Path) -> None:
    seqs = _fake()
    splits, sources = scheme_splits(tmp_path, seqs)
    assert len(seqs) == 2662 and len(splits["unilabel-split1-test"]) == 484  # 22 per class and room
    assert sources["unilabel-split1"] == "rule: random per class and room"
    val, train = splits["unilabel-split1-val"], splits["unilabel-split1-train"]
    assert len(val) == 22 * 10 and not set(val) & set(train) and not set(val) & set(splits["unilabel-split1-test"])
    again, _ = scheme_splits(tmp_path, list(reversed(seqs)))
    assert {k: set(v) for k, v in again.items()} == {k: set(v) for k, v in splits.items()}  # order-free
    assert carve_val("x", seqs[:30], 2020, 0.1) == carve_val("x", seqs[:30][::-1], 2020, 0.1)
    assert len(carve_val("x", seqs[:30], 2020, 0.1)) == 3


def test_metadata_errors_name_the_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "room1_metadata_0_1.csv"
    p.write_text("File name,class,x,y\nroom1_array_0_1_1.wav,chair movement,1,2\n")
    with pytest.raises(InputError, match=r"room1_metadata_0_1.csv: no 'z' column"):
        read_metadata(p, tmp_path)
    p.write_text("File name,class,x,y,z\nroom1_array_0_1_1.wav,sneeze,1,2,0\n")
    with pytest.raises(InputError, match=r"room1_metadata_0_1.csv:2: class 'sneeze' is not one of the 11"):
        read_metadata(p, tmp_path)
    p.write_text("File name,class,x,y,z,webcam 1\nroom1_array_0_1_1.wav,Furniture's drawer,1,2,0,maybe\n")
    with pytest.raises(InputError, match=r":2: field-of-view flag 'maybe'"):
        read_metadata(p, tmp_path)


def test_a_split_list_naming_an_unknown_sequence_is_refused(secl_root: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "secl"
    shutil.copytree(secl_root, root)
    lst = root / "SECL-UMONS" / "unilabel_split1_test.csv"
    lst.write_text(lst.read_text() + "Unilabel/x/room9_array_micro0_9_9_9.wav\n")
    with pytest.raises(InputError, match=r"unilabel_split1_test.csv:10: .*room9_array_micro0_9_9_9.wav.* not a sequence"):
        SECL.splits(root)


# -- AVECL-UMONS: per-camera masks --------------------------------------------------------------------
def test_per_camera_visibility_and_decodability_masks(avecl_root: Path) -> None:
    clips = AVECL.load(avecl_root)
    assert len(clips) == 24
    c = clips["unilabel-room1_array_0_1_1"]  # camera 4 video missing
    assert dict(c.meta["visible"]) == {"webcam1": False, "webcam2": True, "webcam3": False, "webcam4": True}
    assert dict(c.cameras) == {"webcam1": False, "webcam2": True, "webcam3": False, "webcam4": False}
    assert c.has_video and c.video.endswith("room1_webcam2_0_1_1.mp4") and c.meta["video_status"]["webcam4"] == "missing"
    broken = clips["unilabel-room2_array_4_2_2"]
    assert broken.meta["video_status"]["webcam1"].startswith("undecodable") and not broken.cameras["webcam1"]
    assert not clips["multilabel-room2_array_4_4_1"].has_video  # no video at all
    m = clips["multilabel-room1_array_0_4_1"]  # the union of both events' views
    assert dict(m.meta["visible"]) == {"webcam1": True, "webcam2": True, "webcam3": True, "webcam4": True}
    assert [c.has_audio for c in clips.values()] == [True] * 24


def test_av_classification_is_stratified_by_camera(avecl_root: Path) -> None:
    task = "avecl-umons-unilabel-split1-classification"
    test = AVECL.load(avecl_root, split="unilabel-split1-test")
    p = Predictions(benchmark=AVECL.name, task=task, split="unilabel-split1-test")
    wrong = "unilabel-room2_array_4_2_2"  # the clip whose webcam1 video is broken: predicted wrong
    for cid, c in test.items():
        p.add(cid, clip_label="chair_movement" if cid == wrong else c.clip_labels[0])
    report = evaluate_predictions(p, reference=avecl_root)
    overall = {r.id: r.overall for r in report.results}
    assert overall["accuracy"]["accuracy"] == pytest.approx(7 / 8)
    strata = report.strata
    assert {"with_video", "without_video"} <= set(strata) or "with_video" not in strata
    assert set(strata) >= {"webcam1_usable", "webcam1_not_usable"}
    acc = {name: {r.id: r.overall for r in s.results}["accuracy"]["accuracy"] for name, s in strata.items()}
    assert acc["webcam1_usable"] == 1.0 and acc["webcam1_not_usable"] < 1.0
    n1 = strata["webcam1_usable"].n_clips + strata["webcam1_not_usable"].n_clips
    assert n1 == len(test)


def test_multilabel_av_classification_scores_thresholded_f1(avecl_root: Path) -> None:
    task, split = "avecl-umons-multilabel-split2-classification", "multilabel-split2-test"
    test = AVECL.load(avecl_root, split=split)
    p = Predictions(benchmark=AVECL.name, task=task, split=split)
    labels = AVECL.classes
    for cid, c in test.items():
        scores = [0.9 if name in c.clip_labels else 0.1 for name in labels]
        scores[labels.index("hand_clap")] = 0.7  # one false class in every sequence
        p.add(cid, clip_scores=scores)
    report = evaluate_predictions(p, reference=avecl_root)
    got = {r.id: r.overall["f1"] for r in report.results if r.id.startswith("f1_")}
    n_true = sum(len(c.clip_labels) for c in test.values())
    assert got["f1_multilabel_micro"] == pytest.approx(2 * n_true / (2 * n_true + len(test)))
    assert "without_video" in report.strata and report.strata["without_video"].n_clips == 1


def test_seld_task_scores_localization_of_the_sequences(secl_root: Path) -> None:
    task = "secl-umons-multilabel-split1"
    split = "multilabel-split1-test"
    ref = SECL.load(secl_root, split=split)
    p = Predictions(benchmark=SECL.name, task=task, split=split)
    for cid, c in ref.items():
        p.add(cid, events=[{"label": e.label, "onset": 0.0, "offset": c.duration,
                            "azimuth": (e.azimuth + 190.0) % 360.0 - 180.0} for e in c.events])  # 10 degrees off
    r = evaluate_predictions(p, reference=secl_root).results[0]
    assert r.id == "seld-umons" and r.params["mode"] == "multilabel"
    assert r.overall["f1"] == 1.0 and r.overall["localization_error"] == pytest.approx(10.0, abs=1e-6)


# -- Zenodo records resolved by title -----------------------------------------------------------------
def _zip_tree(base: Path) -> bytes:
    return _zip({p.relative_to(base.parent).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()})


SECL_TITLE = "SECL-UMons Database for Sound Event Classification and Localization"
AVECL_TITLE = "AVECL-UMons database for audio-visual event classification and localization"


@pytest.fixture(scope="module")
def archives(avecl_root: Path) -> dict[str, bytes]:
    """The toy's two record folders zipped as the records' archives (the probe results stay out)."""
    return {"secl": _zip_tree(avecl_root / "secl" / "SECL-UMONS"), "avecl": _zip_tree(avecl_root / "avecl" / "AVECL-UMONS")}


def test_records_resolve_by_title_and_download(archives: dict[str, bytes], loopback: Any, tmp_path: Path) -> None:
    loopback.zenodo_record(3632377, SECL_TITLE, {"SECL-UMONS.zip": archives["secl"], "README.md": b"readme\n"})
    loopback.zenodo_record(3965492, AVECL_TITLE, {"AVECL-UMONS.zip": archives["avecl"]})
    root = tmp_path / "secl-umons"
    SECL.prepare(root, quiet=True)
    assert json.loads((root / "avbench" / "zenodo-secl.json").read_text())["record"] == 3632377
    info = SECL.info(root)
    assert info["zenodo_records"] == {"secl": {"record": 3632377, "title": SECL_TITLE, "version": "1.0"}}
    assert info["count_warnings"] == ["16 unilabel sequences in the metadata, published: 2662",
                                      "8 multilabel sequences in the metadata, published: 2724 or 2729"]
    assert len(SECL.load(root)) == 24 and (root / "avbench" / "splits-1.0.json").is_file()
    aroot = tmp_path / "avecl-umons"
    AVECL.prepare(aroot, quiet=True)
    clips = AVECL.load(aroot)
    assert sum(c.has_video for c in clips.values()) == 23
    assert json.loads((aroot / "avbench" / "zenodo-avecl.json").read_text())["title"] == AVECL_TITLE


def test_the_thesis_record_id_is_taken_when_its_title_says_secl(archives: dict[str, bytes], loopback: Any,
                                                              tmp_path: Path) -> None:
    loopback.zenodo_record(3965492, SECL_TITLE, {"SECL-UMONS.zip": archives["secl"]})  # 3632377 answers 404
    SECL.prepare(tmp_path / "s", parts=("meta",), quiet=True)
    assert json.loads((tmp_path / "s" / "avbench" / "zenodo-secl.json").read_text())["record"] == 3965492


def test_no_record_with_the_expected_title_fails_naming_every_candidate(loopback: Any, tmp_path: Path) -> None:
    loopback.zenodo_record(3632377, "Some other dataset", {"a.zip": b"x"})
    loopback.zenodo_record(3965492, AVECL_TITLE, {"b.zip": b"y"})
    with pytest.raises(DownloadError, match=r"no Zenodo record of SECL-UMONS found: 3632377: titled 'Some other "
                                            r"dataset'; 3965492: titled 'AVECL-UMons"):
        SECL.prepare(tmp_path / "s", quiet=True)
    assert not (tmp_path / "s").exists()
