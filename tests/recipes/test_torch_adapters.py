"""Torch adapters of the YouTube-sourced sets: ``avbench.recipes.audioset.torch_dataset`` (multi-hot
weak labels over the 527 classes, strong events) and ``avbench.recipes.desed.torch_dataset``
(weak / strong / frame targets), both with ``has_video`` masks and empty visual slots; media
from the loopback YouTube host's real files (an AAC m4a decoded through ffmpeg, an H.264 mp4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from _youtube_loopback import media_files  # noqa: F401  (fixture)

torch = pytest.importorskip("torch", reason="the torch adapters need the [baselines] extra (torch)")
pytestmark = pytest.mark.torch


def _audioset_root(tmp_path: Path, media: dict[str, Path]) -> Path:
    """The AudioSet toy, its one fetched clip replaced by the loopback's real m4a (YouTube's codec)."""
    from avbench.download.manifest import ManifestRow, read_manifest, write_manifest
    from avbench.download.verify import hash_file
    from avbench.recipes.audioset import RECIPE

    root = tmp_path / "audioset"
    RECIPE.make_toy(root)
    m4a = root / "youtube" / "--4gqARaEJE_0.m4a"
    shutil.copyfile(media["audio"], m4a)
    (root / "youtube" / "--4gqARaEJE_0.wav").unlink()
    rows = read_manifest(root / "youtube/youtube_manifest.tsv")
    old = rows["--4gqARaEJE_0"]
    rows[old.clip_id] = ManifestRow(old.clip_id, old.video_id, old.start, old.end, "audio", "ok", date=old.date,
                                    path=m4a.name, sha256=hash_file(m4a).hexdigest("sha256"),
                                    size=m4a.stat().st_size, duration=3.0, has_audio=True)
    write_manifest(root / "youtube/youtube_manifest.tsv", list(rows.values()))
    return root


def test_audioset_weak_labels_are_multi_hot_over_527_classes(tmp_path: Path, media_files) -> None:  # noqa: ANN001, F811
    from avbench.recipes.audioset import RECIPE, multi_hot
    from avbench.recipes.audioset.metadata import classes
    from avbench.recipes.audioset.torch_dataset import collate, torch_dataset

    root = _audioset_root(tmp_path, media_files)
    clips = RECIPE.load(root, split="eval")
    ds = torch_dataset(root, "eval", audio="logmel")
    # only clips with audio on disk: the others (removed, private, rate-limited) are listed as dropped
    assert ds.clip_ids == [c.id for c in clips.values() if c.has_audio is True] == ["--4gqARaEJE_0"]
    assert sorted(ds.dropped) == sorted(c.id for c in clips.values() if c.has_audio is not True)
    item = ds[0]
    assert tuple(item["weak_labels"].shape) == (527,) and item["weak_labels"].dtype == torch.float32
    assert item["weak_labels"].numpy().tolist() == multi_hot([clips["--4gqARaEJE_0"]])[0].astype(float).tolist()
    names = [n for _, n in classes()]
    assert {names[i] for i in np.flatnonzero(item["weak_labels"].numpy())} == set(clips["--4gqARaEJE_0"].clip_labels)
    assert bool(item["has_weak"]) and item["audio"].shape[1] == 150  # 3 s of AAC at 16 kHz, 20 ms frames
    assert not bool(item["has_video"]) and item["video"] is None  # audio-only fetch: an empty visual slot
    batch = collate([ds[0], ds[0]])
    assert tuple(batch["weak_labels"].shape) == (2, 527) and batch["video"] is None
    assert batch["has_video"].tolist() == [False, False]


def test_audioset_strong_events(tmp_path: Path) -> None:
    from avbench.recipes.audioset import RECIPE
    from avbench.recipes.audioset.metadata import strong_vocabulary
    from avbench.recipes.audioset.torch_dataset import torch_dataset

    root = tmp_path / "audioset"
    RECIPE.make_toy(root)
    clips = RECIPE.load(root, split="strong_eval")
    ds = torch_dataset(root, "strong_eval", audio=None, require_audio=False)
    vocab = [n for _, n in strong_vocabulary()]
    assert ds.clip_ids == list(clips)
    for i, c in enumerate(clips.values()):
        it = ds.arrays(i)
        assert bool(it["has_strong"])
        assert [(round(float(a), 3), round(float(b), 3), vocab[int(k)]) for a, b, k in it["events"]] == \
            [(round(e.onset, 3), round(e.offset, 3), e.label) for e in c.events]
    assert any(len(ds.arrays(i)["events"]) for i in range(len(ds)))


def _desed_root(tmp_path: Path, media: dict[str, Path]) -> Path:
    """DESED's toy with the loopback's real mp4 as the one clip whose video is available."""
    from avbench.recipes.desed import RECIPE

    root = tmp_path / "desed"
    RECIPE.make_toy(root)
    shutil.copyfile(media["av"], root / "youtube" / "Y00pbt6aJV8Y_350.000_360.000.mp4")
    return root


def test_desed_targets_and_empty_visual_slots(tmp_path: Path, media_files) -> None:  # noqa: ANN001, F811
    from avbench.recipes.desed import CLASSES, RECIPE
    from avbench.recipes.desed.torch_dataset import collate, torch_dataset

    root = _desed_root(tmp_path, media_files)
    clips = RECIPE.load(root, split="validation")
    ds = torch_dataset(root, "validation", audio="logmel", video="frames")
    assert ds.clip_ids == ["Y00pbt6aJV8Y_350.000_360.000", "Y00pK0GMmE9s_70.000_80.000"]
    assert ds.dropped == ["Y01TVBl2a8lQ_30.000_40.000"]  # its audio is missing (DESED's missing_files)
    with_v, without_v = ds[0], ds[1]
    assert bool(with_v["has_video"]) and with_v["video"].dtype == torch.uint8 and with_v["video"].shape[-1] == 3
    assert not bool(without_v["has_video"]) and without_v["video"] is None  # removed from YouTube: empty slot
    c = clips["Y00pK0GMmE9s_70.000_80.000"]
    ft = without_v["frame_targets"]
    assert tuple(ft.shape) == (500, 10)  # 10 s on the 20 ms grid
    speech, vacuum = CLASSES.index("Speech"), CLASSES.index("Vacuum_cleaner")
    on = np.flatnonzero(ft[:, speech].numpy())
    assert (on[0], on[-1], len(on)) == (125, 161, 37)  # Speech [2.5, 3.25) s: frame centres 2.51 ... 3.23
    assert bool(ft[:, vacuum].all()) and int(ft.sum()) == 500 + len(on)
    assert without_v["events"].tolist() == [[e.onset, e.offset, CLASSES.index(e.label)] for e in c.events]
    assert without_v["weak_labels"].tolist() == [float(k in ("Speech", "Vacuum_cleaner")) for k in CLASSES]
    assert bool(without_v["has_strong"]) and bool(without_v["has_weak"])
    batch = collate([with_v, without_v])
    assert batch["has_video"].tolist() == [True, False] and int(batch["video"][1].sum()) == 0
    assert batch["video_lengths"].tolist()[1] == 0 and tuple(batch["frame_targets"].shape) == (2, 500, 10)
    assert isinstance(batch["events"], list) and len(batch["events"]) == 2


def test_desed_weak_and_synthetic_splits(tmp_path: Path) -> None:
    from avbench.recipes.desed import CLASSES, RECIPE
    from avbench.recipes.desed.torch_dataset import torch_dataset

    root = tmp_path / "desed"
    RECIPE.make_toy(root)
    weak = torch_dataset(root, "weak", audio=None, require_audio=False)
    it = weak.arrays(0)
    assert bool(it["has_weak"]) and not bool(it["has_strong"]) and it["events"].shape == (0, 3)
    assert it["weak_labels"].tolist() == [float(k in ("Alarm_bell_ringing", "Speech")) for k in CLASSES]
    assert not it["frame_targets"].any()  # no strong labels: masked by has_strong, not a negative target
    synth = torch_dataset(root, "synthetic_train", audio="waveform", video="frames")
    assert len(synth) == 2 and all(not bool(synth[i]["has_video"]) and synth[i]["video"] is None for i in range(2))
    assert bool(synth.arrays(0)["has_strong"])


def test_bad_frame_hop_is_a_one_line_error(tmp_path: Path) -> None:
    from avbench.errors import InputError
    from avbench.recipes.desed import RECIPE
    from avbench.recipes.desed.torch_dataset import torch_dataset

    RECIPE.make_toy(tmp_path / "desed")
    with pytest.raises(InputError, match="frame_hop must be a positive number"):
        torch_dataset(tmp_path / "desed", "validation", frame_hop=0)
