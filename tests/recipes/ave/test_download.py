"""``avbench download ave`` end to end over a loopback imitation of Google Drive and GitHub.

The toy dataset (real layout, tiny videos and features) is zipped like ``AVE_Dataset.zip`` and served
through the Drive confirmation flows; the recipe's index is swapped for one describing these files
(Drive ids, sizes, the inner files' sha256), exactly as the packaged index describes the real ones.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import avbench.recipes.ave.metadata as ave_index
import avbench.recipes.ave as ave
from avbench.errors import DownloadError
from avbench.recipes.ave.toy import TOY_ROWS, TOY_SPLITS, write_toy
from avbench.recipes.ave import RECIPE

pytest.importorskip("h5py", reason="the toy feature files need h5py (extra 'features')")
pytest.importorskip("av", reason="the toy videos need PyAV (extra 'video')")


def _zip_dir(base: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(base.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(base.parent).as_posix())
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(loopback: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    src = tmp_path / "src"
    write_toy(src)
    (src / "avbench" / "video_status.json").unlink()  # the archive has no probe results
    archive = _zip_dir(src / "AVE_Dataset")
    loopback.gdrive_file("ZIPID", archive, flow="form")
    audio = (src / "data" / "audio_feature.h5").read_bytes()
    visual = (src / "data" / "visual_feature.h5").read_bytes()
    loopback.gdrive_file("AUDIOID", audio, flow="cookie")
    loopback.gdrive_file("VISUALID", visual, flow="none")
    headerless = ("\n".join(TOY_ROWS) + "\n").encode()
    members = {f"AVE_Dataset/{n}": _sha((src / "AVE_Dataset" / n).read_bytes())
               for n in ("Annotations.txt", "trainSet.txt", "valSet.txt", "testSet.txt", "ReadMe.txt")}
    idx = dict(ave_index.index())
    idx["files"] = [
        {"path": "data/Annotations.txt", "part": "meta", "url": loopback.add_file("Annotations.txt", headerless),
         "size": len(headerless), "sha256": _sha(headerless)},
        {"path": "AVE_Dataset.zip", "part": "videos", "gdrive": "ZIPID", "size": len(archive), "extract_to": "."},
        {"path": "data/audio_feature.h5", "part": "features", "gdrive": "AUDIOID"},
        {"path": "data/visual_feature.h5", "part": "features", "gdrive": "VISUALID", "size": len(visual)},
    ]
    idx["archive_members_sha256"] = members
    splits = {k: tuple(v) for k, v in TOY_SPLITS.items()}
    monkeypatch.setattr(ave_index, "index", lambda: idx)
    monkeypatch.setattr(ave_index, "index_splits", lambda: splits)
    monkeypatch.setattr(ave, "index", lambda: idx)
    return {"src": src, "index": idx}


def _drive_gets(server: Any) -> list[str]:
    return [r[1] for r in server.log if r[0] == "GET" and r[1].startswith("/drive-bytes/")]


def test_download_verify_load_and_masks(served: dict[str, Any], loopback: Any, tmp_path: Path) -> None:
    root = tmp_path / "ave"
    RECIPE.prepare(root, parts=("meta", "videos", "features"), quiet=True)
    assert (root / "AVE_Dataset" / "AVE" / "toyAAAAAAA1.mp4").read_bytes() == \
        (served["src"] / "AVE_Dataset" / "AVE" / "toyAAAAAAA1.mp4").read_bytes()
    clips = RECIPE.load(root)
    assert len(clips) == 7
    # the probe run by prepare flags the missing (row 5) and the undecodable (row 6) video
    assert [c.meta["row"] for c in clips.values() if c.has_video is False] == [5, 6]
    assert all(c.has_video is not None for c in clips.values())
    from avbench.recipes.ave.features import AveFeatures

    with AveFeatures(root, "val") as f:
        item = f[0]
        assert item.clip_id == "0004_toyAAAAAAA4" and f.visual.mapped
        np.testing.assert_array_equal(item.visual[:, 0, 0, 0], 40 + np.arange(10))
    n = len(_drive_gets(loopback))
    RECIPE.prepare(root, parts=("meta", "videos", "features"), quiet=True)  # idempotent: nothing fetched
    assert len(_drive_gets(loopback)) == n


def test_meta_part_alone_gives_the_indexed_splits(served: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "ave"
    RECIPE.prepare(root, parts=("meta",), quiet=True)
    assert (root / "data" / "Annotations.txt").is_file() and not (root / "AVE_Dataset").exists()
    m = RECIPE.splits(root)  # the header-less annotation file is the indexed one: splits come from the index
    assert m["test"] == ("0002_toyAAAAAAA3", "0006_toyAAAAAAA6")
    assert all(c.has_video is None for c in RECIPE.load(root).values())  # meta only: unknown, not missing
    (root / "data" / "Annotations.txt").write_text(TOY_ROWS[0] + "\n")  # not the indexed file any more
    from avbench.errors import DataNotFoundError

    with pytest.raises(DataNotFoundError, match="no AVE split files"):
        RECIPE.splits(root)


def test_a_changed_archive_member_is_reported(served: dict[str, Any], tmp_path: Path) -> None:
    served["index"]["archive_members_sha256"]["AVE_Dataset/testSet.txt"] = "0" * 64
    with pytest.raises(DownloadError, match=r"testSet.txt: sha256 [0-9a-f]{64} differs from the released file's 0{64}"):
        RECIPE.prepare(tmp_path / "ave", parts=("videos",), quiet=True)


def test_a_drive_quota_page_fails_with_the_file_named(served: dict[str, Any], loopback: Any, tmp_path: Path) -> None:
    loopback.gdrive_file("VISUALID", b"x", flow="quota")
    with pytest.raises(DownloadError, match="visual_feature.h5"):
        RECIPE.prepare(tmp_path / "ave", parts=("features",), quiet=True)
