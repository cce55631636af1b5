"""Write ``index.json`` of the ``tau-urban-av-2021`` recipe from the hosting tables in
``../shared/reference/README.md`` section 5 (sizes and md5 as published by dcase_util).

Run from the repository root::

    python recipes/tau_av2021/index/make_index.py [--reference ../shared/reference]

The tables list each archive as ``| <part>.zip | <bytes with commas> | <md5> |`` under the
"Development" and "Evaluation" paragraphs; this script keeps those rows and nothing else.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETS = {
    "development": {"record": 4477542, "prefix": "TAU-urban-audio-visual-scenes-2021-development",
                    # fold-1 sizes: paper 004 and the baseline repository (train.csv + val.csv = 8646)
                    "expected": {"fold1_train": 8646, "fold1_evaluate": 3645}},
    "evaluation": {"record": 4767103, "prefix": "TAU-urban-audio-visual-scenes-2021-evaluation",
                   # DCASE 2021 Task 1B evaluates 1-s segments; the evaluation files are taken to be 1 s long
                   "clip_seconds": 1.0},
}
CLASSES = ["airport", "bus", "metro", "metro_station", "park", "public_square", "shopping_mall",
           "street_pedestrian", "street_traffic", "tram"]
_ROW = re.compile(r"^\|\s*((?:doc|meta|examples|audio\.\d+|video\.\d+)\.zip)\s*\|\s*([\d,]+)\s*\|\s*([0-9a-f]{32})\s*\|")


def _part(name: str) -> str | None:
    stem = name.split(".")[0]
    return {"doc": "meta", "meta": "meta", "audio": "audio", "video": "video"}.get(stem)


def build(reference: Path) -> dict:
    text = (reference / "README.md").read_text(encoding="utf-8")
    section = text.split("## 5. TAU Urban Audio-Visual Scenes 2021", 1)[1].split("\n## 6.", 1)[0]
    out: dict = {"format": 1, "classes": CLASSES, "sets": {},
                 # the val split carved from fold1_train (recipes/tau_av2021/metadata.py): ratio of the
                 # baseline's own split (split_data.py, 0.1), our seed
                 "validation": {"seed": 2021, "fraction": 0.1, "unit": "location"}}
    current = None
    for line in section.splitlines():
        if line.startswith("Development:"):
            current = "development"
        elif line.startswith("Evaluation:"):
            current = "evaluation"
        m = _ROW.match(line)
        if not (m and current):
            continue
        name, size, md5 = m.group(1), int(m.group(2).replace(",", "")), m.group(3)
        part = _part(name)
        if part is None:  # examples.zip: not part of the benchmark
            continue
        entry = out["sets"].setdefault(current, {**SETS[current], "files": []})
        entry["files"].append({"name": f"{SETS[current]['prefix']}.{name}", "part": part, "size": size, "md5": md5})
    out["counts"] = split_counts(reference, out)
    return out


BASELINE_SETUP = "tau_av_2021/shanwangshan_TAU-urban-audio-visual-scenes/create_data/evaluation_setup"


def split_counts(reference: Path, index: dict) -> dict:
    """Recordings per split as the recipe's loader makes them, for ``avbench info`` before any
    byte: ``train`` / ``val`` by the recipe's own carve (``carve_validation`` with the index's seed
    and fraction) over ``fold1_train`` rebuilt from the baseline repository's ``train.csv`` +
    ``val.csv`` (7,907 + 739 = 8,646 rows: the official fold1_train, whose own file is not
    public); ``test`` = fold1_evaluate's published size (paper 004, dcase_util); ``eval`` is not
    counted (no list of the evaluation set is public)."""
    from avbench.recipes.tau_av2021.metadata import carve_validation, read_setup

    setup = reference / BASELINE_SETUP
    rows = [r for name in ("train.csv", "val.csv") for r in read_setup(setup / name, labels=index["classes"])]
    v = index["validation"]
    val = carve_validation(rows, seed=int(v["seed"]), fraction=float(v["fraction"]))
    return {"train": len(rows) - len(val), "val": len(val),
            "test": index["sets"]["development"]["expected"]["fold1_evaluate"],
            "source": f"train/val: carve_validation over {BASELINE_SETUP}/train.csv + val.csv (the official "
                      "fold1_train, 8,646 rows); test: fold1_evaluate's published size; eval: not counted"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=HERE.parents[2].parent / "shared" / "reference")
    args = ap.parse_args()
    data = build(args.reference)
    (HERE / "index.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    for name, s in data["sets"].items():
        print(name, len(s["files"]), "files", sum(f["size"] for f in s["files"]), "bytes")


if __name__ == "__main__":
    main()
