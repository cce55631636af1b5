"""The synthetic benchmark ``synth``: determinism, label consistency, video geometry, caching."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avbench.errors import DataNotFoundError, InputError
from avbench.model import TaskKind
from avbench.recipes import synth
from avbench.recipes.synth import build as _synth_build
from avbench.recipes.synth.sounds import CLASSES, FS, SCENES
from avbench.recipes.synth.video import CLASS_COLOURS, FOV, FPS, SIZE, project
from avbench.recipes.synth import RECIPE, build_key, generate_clip, video_plan


def _digests(build: Path) -> dict[str, str]:
    return {p.relative_to(build).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(build.rglob("*")) if p.is_file()}


_TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "synth"
    t0 = time.perf_counter()
    RECIPE.make_toy(root)
    _TIMES["tiny"] = time.perf_counter() - t0
    return root


def test_generate_clip_is_a_function_of_seed_and_index() -> None:
    lab1, audio1, video1 = generate_clip(7, 4)
    lab2, audio2, video2 = generate_clip(7, 4)
    assert lab1 == lab2
    assert np.array_equal(audio1, audio2)
    assert (video1 is None) == (video2 is None)
    lab3, audio3, _ = generate_clip(8, 4)
    assert lab3 != lab1 and not np.array_equal(audio1, audio3)


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_differs(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    build_a = RECIPE.build_dir(tiny)
    build_b = RECIPE.prepare(again, size="tiny", quiet=True)
    build_c = RECIPE.prepare(other, size="tiny", seed=1, quiet=True)
    assert build_b.name == build_a.name
    assert _digests(build_a) == _digests(build_b)
    da, dc = _digests(build_a), _digests(build_c)
    assert da["labels.json"] != dc["labels.json"]
    assert da["audio/array/synth-00000.wav"] != dc["audio/array/synth-00000.wav"]


def test_splits_disjoint_and_every_scene_everywhere(tiny: Path) -> None:
    manifest = RECIPE.splits(tiny)
    sizes = {k: len(v) for k, v in manifest.splits.items()}
    assert sizes == {"train": 6, "val": 3, "test": 3}
    for name in ("train", "val", "test"):
        clips = RECIPE.load(tiny, split=name)
        assert list(clips) == list(manifest[name])
        assert {c.clip_labels[0] for c in clips.values()} == set(SCENES)
    assert len(RECIPE.load(tiny)) == 12
    with pytest.raises(InputError, match="no split 'dev'"):
        RECIPE.load(tiny, split="dev")


def test_segment_labels_follow_the_ave_rule(tiny: Path) -> None:
    # segment k carries the class of the earliest-starting event that covers t = k s, else background
    bg = len(CLASSES)
    for clip in RECIPE.load(tiny).values():
        expected = []
        for k in range(10):
            covering = sorted((e for e in clip.events if e.onset <= k < e.offset), key=lambda e: e.onset)
            expected.append(CLASSES.index(covering[0].label) if covering else bg)
        assert list(clip.segment_labels) == expected, clip.id


def test_events_are_audible_where_labelled(tiny: Path) -> None:
    # the centre microphone is louder inside an event than in the clip's event-free stretches
    checked = 0
    for clip in RECIPE.load(tiny).values():
        x, fs = sf.read(tiny / clip.meta["mono"])
        t = np.arange(len(x)) / fs
        quiet = np.ones(len(x), dtype=bool)
        for e in clip.events:
            quiet &= ~((t >= e.onset - 0.3) & (t < e.offset + 0.5))
        if quiet.sum() < fs:
            continue
        floor = np.sqrt(np.mean(x[quiet] ** 2))
        for e in clip.events:
            inside = x[(t >= e.onset + 0.1) & (t < e.offset - 0.1)]
            assert np.sqrt(np.mean(inside**2)) > 2 * floor, (clip.id, e.label)
            checked += 1
    assert checked >= 5


def test_audio_files_layout(tiny: Path) -> None:
    clip = next(iter(RECIPE.load(tiny, split="test").values()))
    arr, fs = sf.read(tiny / clip.audio)
    mono, fs_m = sf.read(tiny / clip.meta["mono"])
    assert fs == fs_m == FS
    assert arr.shape == (10 * FS, 7)
    assert np.array_equal(mono, arr[:, 0])  # the mono file is the centre microphone


def test_event_fields_and_tracks(tiny: Path) -> None:
    for clip in RECIPE.load(tiny).values():
        assert 1 <= len(clip.events) <= 4
        for e in clip.events:
            assert -180 <= e.azimuth <= 180 and 0 <= e.elevation <= 40 and 1.0 <= e.distance <= 1.8
            assert e.track == 0  # generator >= 2: same-class events never overlap
            assert (e.onscreen is None) == (not clip.has_video)
        for a in clip.events:  # same-class events are at least 0.5 s apart (SED metrics need it)
            for b in clip.events:
                if a is not b and a.label == b.label:
                    assert a.offset + 0.5 <= b.onset or b.offset + 0.5 <= a.onset


def test_projection_geometry() -> None:
    half = FOV / 2
    assert project(0.0, 0.0) == (SIZE / 2, SIZE / 2)
    assert project(half - 1, 0.0)[0] < 1.5  # the left edge of the image
    assert project(-(half - 1), 0.0)[0] > SIZE - 1.5
    assert project(half + 1, 0.0) is None and project(180.0, 0.0) is None
    assert project(0.0, 30.0)[1] < SIZE / 2  # up is towards row 0


def test_video_consistent_with_labels(tiny: Path) -> None:
    n_video = n_visible = 0
    for clip in RECIPE.load(tiny).values():
        path = tiny / "builds" / RECIPE.build_dir(tiny).name / "video" / f"{clip.id}.npz"
        if not clip.has_video:
            assert clip.video is None and not path.exists() and clip.video_segments is None
            continue
        n_video += 1
        v = np.load(tiny / clip.video)
        frames, visible, in_view = v["frames"], v["visible"], v["in_view"]
        assert frames.shape == (10 * FPS, SIZE, SIZE, 3) and frames.dtype == np.uint8
        assert int(v["fps"]) == FPS and visible.shape == (10 * FPS, len(clip.events))
        on = np.repeat(np.asarray(clip.video_segments), FPS)
        assert not frames[~on].any()  # camera off: black frames
        times = np.arange(10 * FPS) / FPS
        for i, e in enumerate(clip.events):
            uv = project(e.azimuth, e.elevation)
            assert bool(in_view[i]) == (uv is not None) == bool(e.onscreen)
            active = (times >= e.onset) & (times < e.offset)
            assert np.array_equal(visible[:, i], active & on & (uv is not None))
            if uv is None:
                assert abs(e.azimuth) > FOV / 2 - 1e-9 or e.elevation > FOV / 2
                continue
            # left of centre exactly when the azimuth is positive (counter-clockwise)
            assert (uv[0] < SIZE / 2) == (e.azimuth > 0) or abs(e.azimuth) < 1e-9
            for f in np.flatnonzero(visible[:, i]):
                others = [j for j in range(len(clip.events)) if j > i and visible[f, j]]
                if not others:  # nothing drawn over it
                    assert tuple(frames[f, int(uv[1]), int(uv[0])]) == CLASS_COLOURS[e.label]
                    n_visible += 1
    assert n_video >= 6 and n_visible >= 1


def test_video_masks_fractions() -> None:
    # 20 % of clips have no video, 15 % of the others lose the camera for 2-3 whole seconds
    plans = [video_plan(3, i) for i in range(2000)]
    no_video = [not has for has, _ in plans]
    off = [sum(drop) for has, drop in plans if has]
    assert all(not any(drop) for has, drop in plans if not has)
    assert set(off) == {0, 2, 3}
    assert abs(np.mean(no_video) - synth.NO_VIDEO_FRACTION) < 0.03  # binomial sd ~0.009
    assert abs(np.mean(np.array(off) > 0) - synth.DROPOUT_FRACTION) < 0.03
    for has, drop in plans[:50]:  # a dropout is one contiguous run
        if any(drop):
            k = drop.index(True)
            assert drop[k : k + sum(drop)] == [True] * sum(drop)


def test_tasks_are_defined() -> None:
    tasks = {t.id: t for t in RECIPE.tasks()}
    assert set(tasks) == {"synth-ave", "synth-sed", "synth-seld", "synth-scene"}
    assert tasks["synth-ave"].kind is TaskKind.SEGMENT_CLASSIFICATION and tasks["synth-ave"].n_segments == 10
    assert tasks["synth-ave"].labels == CLASSES
    assert tasks["synth-scene"].labels == SCENES
    assert [m.id for m in tasks["synth-ave"].metrics] == ["ave_segment_accuracy", "f1_macro"]
    assert [m.id for m in tasks["synth-sed"].metrics] == ["event_f1", "segment_f1", "intersection_f1"]
    assert [m.id for m in tasks["synth-seld"].metrics] == ["seld-dcase2022", "seld-umons"]
    assert [m.id for m in tasks["synth-scene"].metrics] == ["accuracy", "f1_macro", "log_loss"]


def test_cached_build_is_reused(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(seed: int, index: int) -> None:
        raise AssertionError("a cached build must not be regenerated")

    monkeypatch.setattr(_synth_build, "generate_clip", boom)
    assert RECIPE.prepare(tiny, size="tiny", quiet=True) == RECIPE.build_dir(tiny)
    assert RECIPE.prepare(tiny, size=12, seed=0, quiet=True).name == build_key(0, 12)


def test_interrupted_generation_leaves_nothing_readable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "synth"
    real = _synth_build.generate_clip

    def dies_at_5(seed: int, index: int):  # noqa: ANN202
        if index == 5:
            raise KeyboardInterrupt
        return real(seed, index)

    monkeypatch.setattr(_synth_build, "generate_clip", dies_at_5)
    with pytest.raises(KeyboardInterrupt):
        RECIPE.prepare(root, size="tiny", quiet=True)
    assert list((root / "builds").iterdir()) == []  # the temporary directory was removed
    assert not RECIPE.is_prepared(root)
    with pytest.raises(DataNotFoundError, match="avbench download synth"):
        RECIPE.load(root)


def test_partial_build_is_not_mistaken_for_complete(tmp_path: Path) -> None:
    root = tmp_path / "synth"
    key = build_key(0, 12)
    partial = root / "builds" / key
    (partial / "audio").mkdir(parents=True)
    (partial / "labels.json").write_text("{}")
    (root / "current.json").write_text(json.dumps({"build": key}))
    assert not RECIPE.is_prepared(root)
    with pytest.raises(DataNotFoundError):
        RECIPE.load(root)
    RECIPE.prepare(root, size="tiny", quiet=True)  # replaces the partial directory
    assert len(RECIPE.load(root)) == 12


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colour": "red"}, "unknown option"),
        ({"size": "huge"}, "size must be one of"),
        ({"size": 5}, "size must be one of"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": "1"}, "seed must be a non-negative integer"),
    ],
)
def test_bad_options_are_refused(tmp_path: Path, options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        RECIPE.prepare(tmp_path / "synth", **options)


def test_unknown_part_and_split_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no part"):
        RECIPE.prepare(tmp_path / "synth", parts=("features",), size="tiny")
    with pytest.raises(InputError, match="no split"):
        RECIPE.prepare(tmp_path / "synth", split="eval", size="tiny")


def test_splits_need_a_root() -> None:
    with pytest.raises(InputError, match="pass the data directory"):
        RECIPE.splits()


def test_tiny_generation_is_fast(tiny: Path) -> None:
    # measured about 1 s on the 2-core CI box; the bound leaves room for a loaded machine
    assert RECIPE.is_prepared(tiny)
    assert _TIMES["tiny"] < 20.0


def test_dry_run_writes_nothing(tmp_path, capsys):
    from avbench.recipes.synth import RECIPE

    RECIPE.prepare(tmp_path / "synth", size="tiny", dry_run=True)
    assert not (tmp_path / "synth").exists()
    assert "would generate" in capsys.readouterr().out


def test_video_state_is_always_checked(tiny: Path, tmp_path: Path) -> None:
    import shutil

    clips = RECIPE.load(tiny)
    assert all(c.has_video is not None for c in clips.values())  # generated: never unknown
    copy = tmp_path / "synth"
    shutil.copytree(tiny, copy)
    victim = next(c for c in clips.values() if c.has_video)
    (copy / victim.video).unlink()
    assert RECIPE.load(copy)[victim.id].has_video is False  # its video is gone: missing
