"""AVE recipe on the real released annotation, split and label files (../shared/reference/ave).

The expected counts come from the dataset's description (Tian et al. 2018: 4,143 clips, splits
3,339 / 402 / 402) and from the released HDF5 files themselves (``*_order.h5``, ``labels_closs.h5``,
``mil_labels.h5``), read here with h5py independently of the recipe's parser.
"""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import DownloadError, InputError
from avbench.model import TaskKind
from avbench.recipes.ave.metadata import index, index_splits, parse_annotations, sha256_file
from avbench.recipes.ave import RECIPE

h5py = pytest.importorskip("h5py", reason="h5py (extra 'features') reads the released .h5 files")

SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def ave_ref(reference_dir: Path) -> Path:
    base = reference_dir / "ave"
    if not (base / "YapengTian_AVE-ECCV18" / "data" / "Annotations.txt").is_file():
        pytest.skip(f"no AVE reference files under {base}")
    return base


@pytest.fixture(scope="module")
def real_root(ave_ref: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The released layout: the archive's text files plus the GitHub-released data/ files."""
    root = tmp_path_factory.mktemp("ave_real")
    arch = ave_ref / "haoyi-duan_DG-SCT" / "data" / "AVE"
    (root / "AVE_Dataset").mkdir()
    for name in ("Annotations.txt", "trainSet.txt", "valSet.txt", "testSet.txt", "ReadMe.txt"):
        shutil.copyfile(arch / name, root / "AVE_Dataset" / name)
    shutil.copytree(ave_ref / "YapengTian_AVE-ECCV18" / "data", root / "data")
    return root


def _h5(ave_ref: Path, name: str, key: str) -> np.ndarray:
    with h5py.File(ave_ref / "YapengTian_AVE-ECCV18" / "data" / name, "r") as fh:
        return fh[key][:]


def test_counts_and_splits(real_root: Path) -> None:
    clips = RECIPE.load(real_root)
    assert len(clips) == 4143
    m = RECIPE.splits(real_root)
    assert [len(m[s]) for s in SPLITS] == [3339, 402, 402]
    assert set().union(*(set(m[s]) for s in SPLITS)) == set(clips)
    assert all(len(m[s]) == len(set(m[s])) for s in SPLITS)
    assert [len(m[f"cml_{s}"]) for s in SPLITS] == [3339, 402, 402]
    assert "noisy" not in m.splits  # no *_noisy.h5 in the meta files


def test_class_list_matches_categories_file(ave_ref: Path) -> None:
    cats = (ave_ref / "haoyi-duan_DG-SCT" / "data" / "AVE" / "categories.txt").read_text().splitlines()
    assert list(RECIPE.classes) == cats and len(cats) == 28


def test_duplicate_youtube_ids_are_distinct_clips(real_root: Path) -> None:
    clips = RECIPE.load(real_root)
    by_vid = collections.defaultdict(list)
    for c in clips.values():
        by_vid[c.meta["youtube_id"]].append(c)
    dups = {v: cs for v, cs in by_vid.items() if len(cs) > 1}
    # 45 repeated ids: 44 twice and one three times (Ukulele, Banjo and Mandolin over the same 10 s)
    assert len(by_vid) == 4097 and len(dups) == 45
    assert sorted(len(cs) for cs in dups.values()) == [2] * 44 + [3]
    assert [c.meta["category"] for c in dups["0f_iTO5t3hU"]] == ["Ukulele", "Banjo", "Mandolin"]
    assert sum(len({c.meta["split"] for c in cs}) > 1 for cs in dups.values()) == 18
    a, b = dups["-9R4WPSKE3Q"]
    assert {a.meta["category"], b.meta["category"]} == {"Male speech, man speaking", "Female speech, woman speaking"}
    assert a.id != b.id


def test_segment_labels_match_released_label_files(real_root: Path, ave_ref: Path) -> None:
    clips = list(RECIPE.load(real_root).values())  # all rows, in Annotations order
    seg = np.array([c.segment_labels for c in clips])
    assert seg.shape == (4143, 10)
    closs = _h5(ave_ref, "labels_closs.h5", "avadataset")  # 1 = event segment, 0 = background
    np.testing.assert_array_equal(seg != 28, closs == 1)
    mil = _h5(ave_ref, "mil_labels.h5", "avadataset")  # clip-level one-hot over 29 columns
    weak = [RECIPE.classes.index(c.clip_labels[0]) for c in clips]
    np.testing.assert_array_equal(mil.argmax(1), weak)
    # the event class is the clip class wherever a segment is not background
    assert all(set(c.segment_labels) <= {28, w} for c, w in zip(clips, weak))
    assert (seg == 28).sum() == 7078  # 17.1 % of the 41,430 segments
    empty = [c for c in clips if not c.events]
    assert [c.id for c in empty] == ["0026_VWi2ENBuTbw"] and empty[0].segment_labels == (28,) * 10


def test_split_files_equal_released_order_h5(real_root: Path, ave_ref: Path) -> None:
    m = RECIPE.splits(real_root)
    for s in SPLITS:
        order = _h5(ave_ref, f"{s}_order.h5", "order").tolist()
        assert [int(cid[:4]) for cid in m[s]] == order
        assert list(index_splits()[s]) == order
        assert list(index_splits()[f"cml_{s}"]) == _h5(ave_ref, f"{s}_order_match.h5", "order").tolist()


def test_index_hashes_match_the_released_files(ave_ref: Path) -> None:
    files = {f["path"]: f for f in index()["files"]}
    for p in sorted((ave_ref / "YapengTian_AVE-ECCV18" / "data").iterdir()):
        entry = files[f"data/{p.name}"]
        assert (entry["size"], entry["sha256"]) == (p.stat().st_size, sha256_file(p))
    for rel, digest in index()["archive_members_sha256"].items():
        assert sha256_file(ave_ref / "haoyi-duan_DG-SCT" / "data" / "AVE" / Path(rel).name) == digest


def test_cml_subset_is_events_shorter_than_10_s(real_root: Path, ave_ref: Path) -> None:
    task = next(t for t in RECIPE.tasks() if t.id == "ave-cml-a2v")
    assert task.kind is TaskKind.CROSS_MODAL_LOCALIZATION
    sub = RECIPE.reference(real_root, task, "test")
    assert len(sub) == 141
    assert all(0 < c.events[0].duration < 10 for c in sub.values())
    # the reference code (cmm_test.py) keeps the test_order_match rows whose labels_closs row is not
    # all ones: all 402 of them; our subset of that split is the same 402 clips
    closs = _h5(ave_ref, "labels_closs.h5", "avadataset")
    match = _h5(ave_ref, "test_order_match.h5", "order")
    kept = [int(r) for r in match if closs[r].sum() != 10]
    sub_match = RECIPE.reference(real_root, task, "cml_test")
    assert [int(cid[:4]) for cid in sub_match] == kept and len(kept) == 402
    # ...and 314 of those are official training clips
    official_train = set(RECIPE.splits(real_root)["train"])
    assert len(set(sub_match) & official_train) == 314
    supervised = next(t for t in RECIPE.tasks() if t.id == "ave-supervised")
    assert len(RECIPE.reference(real_root, supervised, "test")) == 402


def test_meta_part_alone_loads_from_the_index(real_root: Path, tmp_path: Path) -> None:
    shutil.copytree(real_root / "data", tmp_path / "data")  # GitHub files only, no archive
    m = RECIPE.splits(tmp_path)
    assert m.digest() == RECIPE.splits(real_root).digest()
    c = RECIPE.load(tmp_path, split="val")
    # only metadata on disk: nobody checked the videos, so they are unknown, not missing
    assert len(c) == 402 and all(x.has_video is None and x.video_state.value == "unknown" for x in c.values())


def test_tampered_split_file_is_refused(real_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "ave"
    shutil.copytree(real_root / "AVE_Dataset", root / "AVE_Dataset")
    lines = (root / "AVE_Dataset" / "testSet.txt").read_text().splitlines()
    (root / "AVE_Dataset" / "testSet.txt").write_text("\n".join(lines[1:] + lines[:1]) + "\n")
    with pytest.raises(InputError, match="testSet.txt: rows differ from the released test_order.h5"):
        RECIPE.splits(root)
    RECIPE.verify_archive(real_root)
    with pytest.raises(DownloadError, match="testSet.txt: sha256"):
        RECIPE.verify_archive(root)


def test_malformed_annotation_lines_name_the_line() -> None:
    with pytest.raises(InputError, match=r"a.txt line 2: expected 5 '&'-separated fields"):
        parse_annotations(["Bark&abcdefghijk&good&2&5", "Bark&x&good&2"], source="a.txt")
    with pytest.raises(InputError, match=r"a.txt line 1: unknown AVE category 'Dog'"):
        parse_annotations(["Dog&abcdefghijk&good&2&5"], source="a.txt")
    with pytest.raises(InputError, match=r"line 1: need 0 <= StartTime <= EndTime <= 10, got 5, 2"):
        parse_annotations(["Bark&abcdefghijk&good&5&2"], source="a.txt")
