"""Standardized SECL-UMONS splits: the shipped lists where the archive has them, else the thesis' rules.

Four schemes, each with ``train`` / ``val`` / ``test`` (manifest names ``<scheme>-<part>``, e.g.
``unilabel-split1-test``):

=================  ===============================================  =========================
scheme             thesis / README definition (test)                reported test size
=================  ===============================================  =========================
unilabel-split1    44 random sequences per class, 22 per room       484 (of 2,662)
unilabel-split2    one held-out subclass per class                  671
multilabel-split1  10 random sequences per class duo, 5 per room    545 (README) / 550 (thesis)
multilabel-split2  10 held-out class duos                           500
=================  ===============================================  =========================

A list ``<population>_split<k>_<train|test>.csv`` anywhere in the archive (first field of each row:
a WAV path; a header row is skipped) defines the scheme's train and test; with one of the two the
other is the complement. Without a list the rule applies, with every random choice taken in the
order of ``sha256("<seed>:<scheme>:<id>")`` (seed in ``index/layout.json``), which depends on the
ids only: the same membership on every machine. Groups smaller than twice the per-group count give
half of their sequences (only tiny fixtures have such groups); a class with a single subclass keeps
it in train. ``val`` is carved from train in every scheme: per class (duo) and room, the first
``max(1, round(fraction * n))`` sequences of the same order (none from a group of fewer than 3),
so that no model is selected on test (the thesis names no validation set).

Example:
    >>> rank(2020, "unilabel-split1", "unilabel-room1_array_0_1_1")[:12]
    'c792952f7b2a'
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.recipes.secl_umons.layout import SequenceRow, layout

__all__ = ["SCHEMES", "rank", "scheme_splits", "read_split_list", "find_split_lists"]

SCHEMES = ("unilabel-split1", "unilabel-split2", "multilabel-split1", "multilabel-split2")


def rank(seed: int, scheme: str, clip_id: str) -> str:
    """The sort key of the seeded order."""
    return hashlib.sha256(f"{seed}:{scheme}:{clip_id}".encode()).hexdigest()


def _group(s: SequenceRow) -> str:
    return "+".join(sorted(e.label for e in s.events))


def find_split_lists(root: Path) -> dict[tuple[str, str], Path]:
    """``{(scheme, "train"|"test"): path}`` of the split lists under ``root``."""
    pat = re.compile(layout()["patterns"]["split_list"], re.I)
    out: dict[tuple[str, str], Path] = {}
    for p in sorted(Path(root).rglob("*.csv")):
        m = pat.match(p.name)
        if m and p.relative_to(root).parts[0] not in ("avbench", ".avbench"):
            out[(f"{m.group(1).lower()}-split{int(m.group(2))}", m.group(3).lower())] = p
    return out


def read_split_list(path: Path, known: Mapping[str, str], *, root: Path) -> list[str]:
    """Clip ids listed in ``path`` (``known``: sequence key -> clip id of the population).

    Raises:
        InputError: a row names a sequence that is not in the metadata (file and line named).
    """
    rel = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8-sig")
    delim = "\t" if "\t" in text.split("\n", 1)[0] else ","
    out: list[str] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text), delimiter=delim), start=1):
        if not row or not row[0].strip():
            continue
        name = Path(row[0].strip().replace("\\", "/")).name
        key = re.sub(r"_micro\d+", "", name)
        key = key[:-4] if key.lower().endswith(".wav") else key
        if key not in known:
            if line_no == 1 and not name.lower().endswith(".wav"):
                continue  # a header row
            raise InputError(f"{rel}:{line_no}: {row[0].strip()!r} is not a sequence of the metadata")
        if known[key] not in out:
            out.append(known[key])
    return out


def _take(items: Sequence[str], n: int) -> list[str]:
    return list(items[:n])


def _rule_test(scheme: str, seqs: Sequence[SequenceRow], seed: int, params: Mapping[str, Any]) -> set[str]:
    order = sorted(seqs, key=lambda s: rank(seed, scheme, s.clip_id))
    test: set[str] = set()
    if scheme.endswith("split1"):
        per = int(params["test_per_group"])
        groups: dict[tuple[str, int], list[str]] = {}
        for s in order:
            groups.setdefault((_group(s), s.room), []).append(s.clip_id)
        for ids in groups.values():
            test.update(_take(ids, min(per, len(ids) // 2)))
    elif scheme == "unilabel-split2":
        subs: dict[str, set[str]] = {}
        for s in seqs:
            subs.setdefault(s.events[0].label, set()).add(s.events[0].subclass)
        held = {c: min(v, key=lambda sub: rank(seed, scheme, f"{c}/{sub}")) for c, v in subs.items() if len(v) > 1}
        test = {s.clip_id for s in seqs if held.get(s.events[0].label) == s.events[0].subclass}
    else:  # multilabel-split2: held-out duos
        duos = sorted({_group(s) for s in seqs}, key=lambda d: rank(seed, scheme, d))
        held_duos = set(duos[: min(int(params["held_out_duos"]), len(duos) // 2)])
        test = {s.clip_id for s in seqs if _group(s) in held_duos}
    return test


def carve_val(scheme: str, train: Iterable[SequenceRow], seed: int, fraction: float) -> set[str]:
    """The validation ids carved from ``train`` (module docstring)."""
    groups: dict[tuple[str, int], list[str]] = {}
    for s in sorted(train, key=lambda s: rank(seed, scheme + "-val", s.clip_id)):
        groups.setdefault((_group(s), s.room), []).append(s.clip_id)
    out: set[str] = set()
    for ids in groups.values():
        if len(ids) >= 3:
            out.update(ids[: max(1, round(fraction * len(ids)))])
    return out


def scheme_splits(root: Path, sequences: Sequence[SequenceRow]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """``({"<scheme>-<part>": ids}, {scheme: "list <paths>" | "rule"})`` for the four schemes, ids in
    metadata order."""
    cfg = layout()["splits"]
    seed, fraction = int(cfg["seed"]), float(cfg["validation_fraction"])
    lists = find_split_lists(root)
    splits: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    for scheme in SCHEMES:
        pop = scheme.split("-")[0]
        seqs = [s for s in sequences if s.population == pop]
        if not seqs:
            continue
        by_id = {s.clip_id: s for s in seqs}
        known = {s.key: s.clip_id for s in seqs}
        listed = {part: lists[(scheme, part)] for part in ("train", "test") if (scheme, part) in lists}
        if listed:
            got = {part: set(read_split_list(p, known, root=root)) for part, p in listed.items()}
            test = got.get("test", set(by_id) - got.get("train", set()))
            train_ids = got.get("train", set(by_id) - test)
            both = test & train_ids
            if both:
                raise InputError(f"{listed.get('test', listed.get('train'))}: {sorted(both)[0]!r} is in both the "
                                 f"train and test lists of {scheme}")
            sources[scheme] = "list " + ", ".join(p.relative_to(root).as_posix() for p in listed.values())
        else:
            test = _rule_test(scheme, seqs, seed, cfg[scheme])
            train_ids = set(by_id) - test
            sources[scheme] = "rule: " + str(cfg[scheme]["rule"])
        val = carve_val(scheme, [by_id[i] for i in train_ids], seed, fraction)
        for part, members in (("train", train_ids - val), ("val", val), ("test", test)):
            splits[f"{scheme}-{part}"] = tuple(s.clip_id for s in seqs if s.clip_id in members)
    return splits, sources
