"""AudioSet metadata with the real files in ../shared/reference: exact parsing, the packaged index,
the ontology, Excel-mangled copies refused; subsets and their manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.errors import InputError
from avbench.recipes.audioset import RECIPE
from avbench.recipes.audioset.metadata import (
    classes,
    index_segments,
    ontology,
    parse_class_labels,
    parse_mid_to_display_name,
    parse_ontology,
    parse_segments,
    strong_vocabulary,
)
from avbench.recipes.audioset.subset import Selection, SubsetManifest, descendants, resolve_classes, select


@pytest.fixture(scope="module")
def src(reference_dir: Path) -> Path:
    return reference_dir / "audioset" / "bakhtos_GoogleAudioSetReformatted" / "src"


@pytest.fixture(scope="module")
def eval_text(src: Path) -> str:
    return (src / "eval_segments.csv").read_text(encoding="utf-8")


def test_real_files_parse_with_their_header_counts(src: Path, eval_text: str) -> None:
    ev = parse_segments(eval_text, source="eval_segments.csv")
    bal = parse_segments((src / "balanced_train_segments.csv").read_text(encoding="utf-8"), source="bal")
    assert (len(ev), sum(len(s.labels) for s in ev)) == (20371, 51804)
    assert (len(bal), sum(len(s.labels) for s in bal)) == (22160, 52882)
    assert len({m for s in bal for m in s.labels}) == 527
    names = parse_class_labels((src / "class_labels_indices.csv").read_text(encoding="utf-8"), source="c")
    assert len(names) == 527 and names[0] == ("/m/09x0r", "Speech") and names[1][1] == "Male speech, man speaking"
    strong = parse_mid_to_display_name((src / "mid_to_display_name.tsv").read_text(encoding="utf-8"), source="m")
    assert len(strong) == 456
    # the packaged index is exactly what the released files say
    assert tuple(ev) == index_segments("eval") and tuple(bal) == index_segments("balanced_train")
    assert tuple(names) == classes() and tuple(strong) == strong_vocabulary()


def test_packaged_ontology_equals_the_released_one(reference_dir: Path) -> None:
    real = parse_ontology((reference_dir / "audioset" / "audioset_ontology" / "ontology.json").read_text(), source="o")
    assert len(real) == 632
    assert {m: (n.name, n.children, n.restrictions) for m, n in real.items()} == \
        {m: (n.name, n.children, n.restrictions) for m, n in ontology().items()}


def test_excel_mangled_copies_are_refused(eval_text: str) -> None:
    lines = eval_text.splitlines()
    no_hash = "\n".join([lines[0][2:], *lines[1:]])
    with pytest.raises(InputError, match="line 1: a spreadsheet program.*lost its '# ' prefix"):
        parse_segments(no_hash, source="e.csv")
    name = "\n".join([*lines[:3], "#NAME?, 0.000, 10.000, \"/m/068hy\"", *lines[4:]])
    with pytest.raises(InputError, match="line 4: a spreadsheet.*'#NAME\\?'"):
        parse_segments(name, source="e.csv")
    whole = "\n".join([*lines[:3], lines[3].replace("0.000, 10.000", "0, 10"), *lines[4:]])
    with pytest.raises(InputError, match="line 4: a spreadsheet.*no decimals"):
        parse_segments(whole, source="e.csv")
    truncated = "\n".join(lines[:-5])
    with pytest.raises(InputError, match="header says 20371 segments"):
        parse_segments(truncated, source="e.csv")


def test_ontology_descendants_and_names() -> None:
    dog = resolve_classes(["Dog"], include_descendants=False)
    assert dog == ("/m/0bt9lr",) and resolve_classes(["/m/0bt9lr"], include_descendants=False) == dog
    below = resolve_classes(["Dog"], include_descendants=True)
    named = {ontology()[m].name for m in below}
    assert {"Dog", "Bark", "Howl", "Growling", "Whimper (dog)"} <= named
    assert descendants(["/m/068hy"]) >= set(below)  # Domestic animals, pets holds Dog
    with pytest.raises(InputError, match="did you mean 'Cat'"):
        resolve_classes(["Catt"], include_descendants=False)


def test_subset_by_classes_counts_and_descendants() -> None:
    segs = index_segments("eval")
    plain, _ = select(segs, Selection(classes=("Dog", "Cat")), split="eval")
    deep, mids = select(segs, Selection(classes=("Dog", "Cat"), include_descendants=True), split="eval")
    wanted = set(mids)
    assert len(deep) > len(plain) > 0 and {s.clip_id for s in plain} <= {s.clip_id for s in deep}
    assert len(deep) == sum(1 for s in segs if wanted.intersection(s.labels))


def test_samples_are_seeded_and_balanced() -> None:
    segs = index_segments("balanced_train")
    a, _ = select(segs, Selection(sample=50, seed=3), split="balanced_train")
    b, _ = select(segs, Selection(sample=50, seed=3), split="balanced_train")
    c, _ = select(segs, Selection(sample=50, seed=4), split="balanced_train")
    assert a == b and a != c and len(a) == 50
    bal, mids = select(segs, Selection(classes=("Dog", "Cat", "Music"), sample=30, balanced=True, seed=1),
                       split="balanced_train")
    assert len(bal) == 30
    per = {m: sum(m in s.labels for s in bal) for m in mids if m in ("/m/0bt9lr", "/m/01yrx", "/m/04rlf")}
    assert min(per.values()) >= 5  # each class gets its turn
    with pytest.raises(InputError, match="--balanced needs --sample"):
        Selection(balanced=True)


def test_ids_subset_and_unknown_id() -> None:
    segs = index_segments("eval")
    got, _ = select(segs, Selection(ids=(segs[5].ytid, segs[2].clip_id)), split="eval")
    assert [s.clip_id for s in got] == [segs[2].clip_id, segs[5].clip_id]
    with pytest.raises(InputError, match="not in the AudioSet eval list"):
        select(segs, Selection(ids=("zzzzzzzzzzz",)), split="eval")


def test_subset_manifest_round_trip(tmp_path: Path) -> None:
    m = RECIPE.choose("eval", classes=["Dog", "Cat"], include_descendants=True, sample=40, seed=7)
    path = tmp_path / "subset.json"
    m.write(path)
    back = RECIPE.choose("eval", subset=path)
    assert back.ids == m.ids and back.selection["seed"] == 7 and "--include-descendants" in back.command
    assert "--sample 40" in back.command and len(back.ids) == 40
    data = json.loads(path.read_text())
    data["clips"] = data["clips"][1:]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="does not match its sha256"):
        SubsetManifest.read(path)
    with pytest.raises(InputError, match="not of split|of split 'eval', not"):
        m.write(path)
        RECIPE.choose("balanced_train", subset=path)
