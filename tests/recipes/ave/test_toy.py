"""AVE loader on the toy dataset (real layout, tiny media and features): masks, feature and raw modes.

Toy rows (see avbench.recipes.ave.toy): row r's features hold ``10 r + s`` at segment s; its video
frame i is filled with ``(40 r + 6 i) % 256`` at 4 fps; row 5's video is missing, row 6's is random bytes.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import DataNotFoundError, InputError
from avbench.recipes.ave.media import STATUS_FILE, YOUTUBE_MANIFEST, AveMedia, decode_clip
from avbench.recipes.ave import RECIPE

h5py = pytest.importorskip("h5py", reason="the toy feature files need h5py (extra 'features')")
pytest.importorskip("av", reason="the toy videos need PyAV (extra 'video')")

from avbench.recipes.ave.features import AveFeatures, FeatureArray  # noqa: E402


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ave_toy") / "ave"
    RECIPE.make_toy(root)
    return root


@pytest.fixture
def toy_copy(toy: Path, tmp_path: Path) -> Path:
    shutil.copytree(toy, tmp_path / "ave")
    return tmp_path / "ave"


def test_has_video_flags_missing_and_undecodable(toy: Path) -> None:
    clips = RECIPE.load(toy)
    flags = {c.meta["row"]: c.has_video for c in clips.values()}
    assert flags == {0: True, 1: True, 2: True, 3: True, 4: True, 5: False, 6: False}
    assert clips["0005_toyAAAAAAA5"].video is None and clips["0006_toyAAAAAAA6"].video is None
    assert clips["0003_toyAAAAAAA4"].video == clips["0004_toyAAAAAAA4"].video == "AVE_Dataset/AVE/toyAAAAAAA4.mp4"


def test_without_probe_status_only_file_presence_counts(toy_copy: Path) -> None:
    (toy_copy / STATUS_FILE).unlink()
    flags = {c.meta["row"]: c.has_video for c in RECIPE.load(toy_copy).values()}
    assert flags[5] is False and flags[6] is True  # random bytes are only caught by the probe


def test_youtube_manifest_fills_a_missing_archive_video(toy_copy: Path) -> None:
    from avbench.download.manifest import ManifestRow, write_manifest
    from avbench.recipes.ave.metadata import sha256_file

    dest = toy_copy / "youtube" / "0005_toyAAAAAAA5.mp4"
    dest.parent.mkdir()
    shutil.copyfile(toy_copy / "AVE_Dataset" / "AVE" / "toyAAAAAAA1.mp4", dest)
    rows = [ManifestRow("0005_toyAAAAAAA5", "toyAAAAAAA5", 30.0, 40.0, "av", "ok", path=dest.name,
                        sha256=sha256_file(dest), size=dest.stat().st_size, duration=10.0,
                        has_audio=True, has_video=True),
            ManifestRow("0006_toyAAAAAAA6", "toyAAAAAAA6", 0.0, 10.0, "av", "private", reason="Private video")]
    write_manifest(toy_copy / YOUTUBE_MANIFEST, rows)
    clips = RECIPE.load(toy_copy, split="train")
    assert clips["0005_toyAAAAAAA5"].has_video and clips["0005_toyAAAAAAA5"].video == "youtube/0005_toyAAAAAAA5.mp4"
    assert RECIPE.load(toy_copy, split="test")["0006_toyAAAAAAA6"].has_video is False
    dest.unlink()  # an ok row whose file is gone does not count
    assert RECIPE.load(toy_copy, split="train")["0005_toyAAAAAAA5"].has_video is False


def test_metadata_only_is_unknown_and_a_manifest_row_decides(toy_copy: Path) -> None:
    from avbench.download.manifest import ManifestRow, write_manifest

    shutil.rmtree(toy_copy / "AVE_Dataset" / "AVE")
    (toy_copy / STATUS_FILE).unlink(missing_ok=True)
    flags = {c.meta["row"]: c.has_video for c in RECIPE.load(toy_copy).values()}
    assert set(flags.values()) == {None}  # never checked: unknown, not missing
    write_manifest(toy_copy / YOUTUBE_MANIFEST,
                   [ManifestRow("0006_toyAAAAAAA6", "toyAAAAAAA6", 0.0, 10.0, "av", "removed", reason="gone")])
    flags = {c.meta["row"]: c.has_video for c in RECIPE.load(toy_copy).values()}
    assert flags[6] is False and flags[0] is None  # checked on YouTube: missing; the rest stays unknown


def test_feature_mode_maps_rows_and_labels(toy: Path) -> None:
    with AveFeatures(toy, "train") as f:
        assert f.audio.mapped and f.visual.mapped and len(f) == 4
        items = list(f)
        assert [it.clip_id for it in items] == ["0005_toyAAAAAAA5", "0000_toyAAAAAAA1", "0003_toyAAAAAAA4",
                                               "0001_toyAAAAAAA2"]
        for it in items:  # pages were released while iterating: touching them again re-reads the file
            r = int(it.clip_id[:4])
            assert it.audio.shape == (10, 128) and it.visual.shape == (10, 7, 7, 512)
            np.testing.assert_array_equal(it.audio[:, 5], 10 * r + np.arange(10))
            np.testing.assert_array_equal(it.visual[:, 6, 0, 511], 10 * r + np.arange(10))
        assert items[2].labels.tolist() == [28, 28, 28, 1, 1, 1, 1, 1, 1, 28] and items[2].weak_label == 1
        assert items[3].labels.tolist() == [28] * 10 and items[3].weak_label == 0  # empty event, weak label kept
        assert [it.has_video for it in items] == [False, True, True, True]
        assert f[-1].clip_id == "0001_toyAAAAAAA2"
        with pytest.raises(IndexError, match="AVE train has 4 clips"):
            f[4]


def test_noisy_split_is_background_only(toy: Path) -> None:
    assert len(RECIPE.splits(toy)["noisy"]) == 2
    with AveFeatures(toy, "noisy") as f:
        it = f[1]
        assert it.labels.tolist() == [28] * 10 and it.weak_label == 28 and not it.has_video
        assert float(it.visual[9, 0, 0, 0]) == 1019.0


def test_chunked_file_falls_back_to_h5py_reads(toy_copy: Path) -> None:
    path = toy_copy / "data" / "visual_feature.h5"
    with h5py.File(path, "r") as fh:
        data = fh["avadataset"][:]
    with h5py.File(path, "w") as fh:
        fh.create_dataset("avadataset", data=data, chunks=(1, 10, 7, 7, 512), compression="gzip")
    with AveFeatures(toy_copy, "val") as f:
        assert not f.visual.mapped and f.audio.mapped
        np.testing.assert_array_equal(f[0].visual[:, 1, 1, 0], 40 + np.arange(10))


def test_feature_file_errors_name_the_file(toy_copy: Path) -> None:
    with h5py.File(toy_copy / "data" / "audio_feature.h5", "w") as fh:
        fh.create_dataset("avadataset", data=np.zeros((3, 10, 128), np.float32))
    with pytest.raises(InputError, match=r"audio_feature.h5: shape \(3, 10, 128\) does not fit 4 AVE rows up to 5"):
        AveFeatures(toy_copy, "train")
    (toy_copy / "data" / "visual_feature.h5").write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="visual_feature.h5: not an HDF5 file"):
        FeatureArray(toy_copy / "data" / "visual_feature.h5")
    with pytest.raises(DataNotFoundError, match="--parts features"):
        FeatureArray(toy_copy / "data" / "nothing.h5")


def test_feature_array_pickles_by_path(toy: Path) -> None:
    a = FeatureArray(toy / "data" / "visual_feature.h5")
    b = pickle.loads(pickle.dumps(a))
    assert b.mapped and b.shape == a.shape
    np.testing.assert_array_equal(b[3], a[3])


def test_raw_mode_decodes_per_second(toy: Path) -> None:
    m = decode_clip(toy / "AVE_Dataset" / "AVE" / "toyAAAAAAA3.mp4", fps=2, size=(8, 8), sample_rate=8000)
    assert m.frames.shape == (10, 2, 8, 8, 3) and m.audio.shape == (10, 8000) and m.has_video and m.has_audio
    # frame shown at k + 0.25 s / k + 0.75 s is source frame 4k + 1 / 4k + 3 (4 fps): (80 + 6 i) % 256
    expected = np.array([[(80 + 6 * (4 * k + j)) % 256 for j in (1, 3)] for k in range(10)])
    got = m.frames[:, :, 4, 4, 0].astype(int)
    assert np.abs(got - expected).max() <= 6, got  # MPEG-4 is lossy
    rms = np.sqrt((m.audio[1:9] ** 2).mean(axis=1))
    np.testing.assert_allclose(rms, 0.1 / np.sqrt(2), rtol=0.1)  # the 0.1-amplitude sine, every second


def test_raw_mode_masks_missing_videos(toy: Path) -> None:
    items = list(AveMedia(toy, "test", fps=1, size=(4, 4), sample_rate=1000))
    assert [(it["clip_id"], it["has_video"]) for it in items] == [("0002_toyAAAAAAA3", True),
                                                                ("0006_toyAAAAAAA6", False)]
    assert not items[1]["frames"].any() and items[1]["frames"].shape == (10, 1, 4, 4, 3)
    with pytest.raises(InputError, match="fps, sample_rate and size must be positive"):
        decode_clip(toy / "AVE_Dataset" / "AVE" / "toyAAAAAAA3.mp4", fps=0)
    with pytest.raises(InputError, match="toyAAAAAAA6.mp4: cannot decode"):
        decode_clip(toy / "AVE_Dataset" / "AVE" / "toyAAAAAAA6.mp4")


def test_tasks_and_cml_reference_on_the_toy(toy: Path) -> None:
    ids = [t.id for t in RECIPE.tasks()]
    assert ids == ["ave-supervised", "ave-weakly-supervised", "ave-cml-a2v", "ave-cml-v2a"]
    for t in RECIPE.tasks():
        assert "val split only" in t.description and t.split == "test" and t.n_segments == 10
    cml = RECIPE.task("ave-cml-v2a")
    assert [m.id for m in cml.metrics] == ["ave_cml_accuracy"]
    # train: rows 5 ([4, 10): 6 s), 0 ([0, 10)), 3 ([3, 9)), 1 (empty): only 5 and 3 are CML clips
    assert list(RECIPE.reference(toy, cml, "train")) == ["0005_toyAAAAAAA5", "0003_toyAAAAAAA4"]
    sup = RECIPE.task("ave-supervised")
    assert [m.id for m in sup.metrics] == ["ave_segment_accuracy", "f1_macro", "f1_weighted"]
    assert len(RECIPE.reference(toy, sup, "train")) == 4


def test_unknown_split_and_missing_data(toy: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ave has no split 'dev'; known splits: train, val, test, noisy"):
        RECIPE.load(toy, split="dev")
    with pytest.raises(DataNotFoundError, match="run `avbench download ave`"):
        RECIPE.load(tmp_path)
    with pytest.raises(DataNotFoundError, match="pass the data directory"):
        RECIPE.splits(None)
    assert "cml_test" not in RECIPE.splits(toy).splits  # the match partition exists for the released rows only
