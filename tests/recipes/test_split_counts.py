"""Split sizes that ``avbench info`` shows before any byte is on disk (DESED, TAU Urban AV 2021,
SECL-UMONS, AVECL-UMONS): the packaged counts are what the recipe's own loader gives on the real
metadata files in ``../shared/reference`` (copied into the recipe's on-disk layout), and the CLI
shows them with nothing on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from avbench import registry

DESED_REAL = {
    "metadata/train/weak.tsv": "turpaultn_DESED/data/real/metadata/train/weak.tsv",
    "metadata/train/unlabel_in_domain.tsv": "turpaultn_DESED/data/real/metadata/train/unlabel_in_domain.tsv",
    "metadata/validation/validation.tsv": "turpaultn_DESED/data/real/metadata/validation/validation.tsv",
    "metadata/eval/public.tsv": "turpaultn_DESED/data/real/metadata/eval/public.tsv",
    "metadata/train/synthetic21_train/soundscapes.tsv":
        "tanmayy24_FMSG-NTU_DCASE_2022_Task_4/data/dcase/dataset/metadata/train/synthetic21_train/soundscapes.tsv",
    "metadata/validation/synthetic21_validation/soundscapes.tsv":
        "tanmayy24_FMSG-NTU_DCASE_2022_Task_4/data/dcase/dataset/metadata/validation/synthetic21_validation/soundscapes.tsv",
}
TAU_SETUP = "tau_av_2021/shanwangshan_TAU-urban-audio-visual-scenes/create_data/evaluation_setup"


def _copy(reference: Path, files: dict[str, str], dest: Path) -> Path:
    for rel, src in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(reference / src, dest / rel)
    return dest


def test_desed_packaged_counts_are_what_the_loader_counts_on_the_real_metadata(reference_dir: Path,
                                                                               tmp_path: Path) -> None:
    recipe = registry.dataset("desed")
    from avbench.recipes.desed import editions

    root = _copy(reference_dir / "desed", DESED_REAL, tmp_path / "desed")
    loaded = {k: len(v) for k, v in recipe.splits(root).splits.items()}
    assert loaded["validation"] == 1168
    assert recipe.split_sizes(None) == loaded == editions()["editions"]["2021"]["counts"]
    # the 2020 edition (the original validation file): same clips, its own counts
    shutil.copyfile(reference_dir / "desed/turpaultn_DCASE2019_task4/dataset/metadata/validation/validation.tsv",
                    root / "metadata/validation/validation.tsv")
    old = {k: len(v) for k, v in recipe.splits(root).splits.items()}
    packaged = editions()["editions"]["2020"]["counts"]
    assert {k: v for k, v in packaged.items() if v is not None} == {k: old[k] for k in packaged if packaged[k] is not None}
    # each edition's counts are of the files whose sha256 it lists
    from avbench.recipes.desed import _sha256

    for edition, spec in editions()["editions"].items():
        for split, (rel, digest) in spec["files"].items():
            src = DESED_REAL.get(rel)
            if digest is None or src is None or (edition == "2020" and split == "validation"):
                continue
            assert _sha256(reference_dir / "desed" / src) == digest, (edition, split)


def test_tau_packaged_counts_are_the_loaders_carve_of_fold1_train(reference_dir: Path, tmp_path: Path) -> None:
    """fold1_train (8,646 rows) is rebuilt from the baseline repository's train.csv + val.csv; the
    recipe carves val from it exactly as it does on the released setup files."""
    recipe = registry.dataset("tau-urban-av-2021")
    from avbench.recipes.tau_av2021.metadata import set_dir

    setup = set_dir(tmp_path / "tau", "development") / "evaluation_setup"
    setup.mkdir(parents=True)
    src = reference_dir / TAU_SETUP
    lines = (src / "train.csv").read_text(encoding="utf-8").splitlines()
    lines += (src / "val.csv").read_text(encoding="utf-8").splitlines()[1:]
    (setup / "fold1_train.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (setup / "fold1_evaluate.csv").write_text(lines[0] + "\n", encoding="utf-8")  # not public: header only
    loaded = {k: len(v) for k, v in recipe.splits(tmp_path / "tau").splits.items()}
    assert loaded["train"] + loaded["val"] == 8646
    packaged = recipe.split_sizes(None)
    assert {k: packaged[k] for k in ("train", "val")} == {k: loaded[k] for k in ("train", "val")}
    assert packaged["test"] == 3645 == recipe_index_expected("fold1_evaluate")


def recipe_index_expected(name: str) -> int:
    from avbench.recipes.tau_av2021.metadata import index

    return int(index()["sets"]["development"]["expected"][name])


@pytest.mark.parametrize("name", ["secl-umons", "avecl-umons"])
def test_umons_shows_the_published_test_sizes_and_says_what_is_left(name: str) -> None:
    """No metadata file of the UMONS records is public (reference README section 6): the sizes
    shown are the README's test sizes; train / val are carved by avbench and only counted on disk."""
    recipe = registry.dataset(name)
    sizes = recipe.split_sizes(None)
    assert sizes == {"unilabel-split1-test": 484, "unilabel-split2-test": 671, "multilabel-split1-test": 545,
                     "multilabel-split2-test": 500}
    note = recipe.split_sizes_note(None)
    assert note is not None and "train and val" in note and "2,662" in note
    assert set(sizes) <= set(recipe.split_names(None)) and "unilabel-split1-val" in recipe.split_names(None)


def test_umons_counts_what_is_on_disk(tmp_path: Path) -> None:
    recipe = registry.dataset("secl-umons")
    recipe.make_toy(tmp_path / "secl")
    on_disk = recipe.split_sizes(tmp_path / "secl")
    assert on_disk == {k: len(v) for k, v in recipe.splits(tmp_path / "secl").splits.items()}
    assert recipe.split_sizes_note(tmp_path / "secl") is None


EXPECTED = {
    "desed": ("validation 1168", {"validation": 1168, "weak": 1578, "public_eval": 692}),
    "tau-urban-av-2021": ("val 1054", {"train": 7592, "val": 1054, "test": 3645}),
    "secl-umons": ("unilabel-split1-test 484", {"unilabel-split1-test": 484}),
    "avecl-umons": ("multilabel-split1-test 545", {"multilabel-split1-test": 545}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_info_shows_split_counts_with_nothing_on_disk(name: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from avbench.cli import main

    for args in (["info", name, "--data-dir", str(tmp_path)], ["info", name, "--data-dir", str(tmp_path), "--json"]):
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code in (0, None)
        out = capsys.readouterr().out
        text, counts = EXPECTED[name]
        if "--json" in args:
            info = json.loads(out)
            assert {k: info["split_sizes"][k] for k in counts} == counts
        else:
            assert "listed once the metadata is on disk" not in out
            assert text in out and all(f"{k} {v}" in out for k, v in counts.items())
    assert not (tmp_path / name).exists()


def test_download_split_accepts_a_split_not_counted_yet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """TAU's eval and UMONS' carved splits have no count before the data, but are splits."""
    from avbench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["download", "tau-urban-av-2021", "--parts", "meta", "--split", "evl", "--data-dir", str(tmp_path),
              "--dry-run", "--mirror", str(tmp_path / "mirror")])
    assert exc.value.code == 2 and "did you mean 'eval'" in capsys.readouterr().err
