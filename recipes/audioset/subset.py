"""AudioSet subsets: by split, ontology class (with or without descendants), id list, seeded sample;
written as a versioned manifest that another user passes back to get the same clips.

Class names are matched case-insensitively against the ontology's names (and MIDs as they are);
an unknown name is refused with the closest names. ``include_descendants`` adds every node under
the named classes (``child_ids``, transitively); a segment is selected when any of its labels is
in the set. A sample of size ``n`` is either uniform (``numpy.random.default_rng(seed)``, without
replacement) or class-balanced: classes take turns in ontology order, each taking its next clip
from its own seeded shuffle, until ``n`` distinct clips are chosen. Selected clips keep their
order in the segment list.

Manifest (JSON, ``format`` ``avbench-audioset-subset``, ``version`` 1)::

    {"format": ..., "version": 1, "dataset_version": "1.0", "split": "eval",
     "selection": {"classes": [...], "mids": [...], "include_descendants": true, "ids": null,
                   "sample": null, "balanced": false, "seed": 0},
     "command": "avbench download audioset --split eval --classes Dog,Cat --include-descendants",
     "n_clips": N, "sha256": sha256 of the ids joined by newlines,
     "clips": [{"id": "<YTID>_<start ms>", "ytid": ..., "start": s, "end": s, "labels": [mids]}]}

Example:
    >>> resolve_classes(["dog"], include_descendants=False)
    ('/m/0bt9lr',)
    >>> len(resolve_classes(["Dog"], include_descendants=True)) > 5
    True
    >>> resolve_classes(["Dgo"], include_descendants=False)
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: AudioSet has no class 'Dgo'; did you mean 'Dog' or 'Door' or 'Ding'? names and MIDs are those of ontology.json (`avbench info audioset` lists the 527 classes)
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avbench.errors import InputError
from avbench.io import atomic_write_text
from avbench.recipes.audioset.metadata import Segment, ontology

__all__ = ["Selection", "resolve_classes", "descendants", "select", "SubsetManifest", "FORMAT"]

FORMAT = "avbench-audioset-subset"
VERSION = 1


def descendants(mids: Iterable[str]) -> set[str]:
    """``mids`` and every ontology node below them."""
    onto = ontology()
    out: set[str] = set()
    stack = list(mids)
    while stack:
        m = stack.pop()
        if m in out:
            continue
        out.add(m)
        stack.extend(onto[m].children if m in onto else ())
    return out


def resolve_classes(names: Sequence[str], *, include_descendants: bool) -> tuple[str, ...]:
    """The MIDs named by ``names`` (display names, any case, or MIDs), plus descendants if asked.

    Raises:
        InputError: an unknown name (with the closest names as a suggestion).
    """
    onto = ontology()
    by_name: dict[str, str] = {}
    for node in onto.values():
        by_name.setdefault(node.name.casefold(), node.mid)
    chosen = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name in onto:
            chosen.append(name)
        elif name.casefold() in by_name:
            chosen.append(by_name[name.casefold()])
        else:
            close = difflib.get_close_matches(name, [n.name for n in onto.values()], n=3, cutoff=0.5)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise InputError(f"AudioSet has no class {name!r}; {hint}names and MIDs are those of ontology.json "
                             "(`avbench info audioset` lists the 527 classes)")
    if not chosen:
        raise InputError("--classes: no class named")
    mids = descendants(chosen) if include_descendants else set(chosen)
    order = {m: i for i, m in enumerate(onto)}
    return tuple(sorted(mids, key=lambda m: order.get(m, len(order))))


@dataclass(frozen=True)
class Selection:
    """How a subset is chosen (all fields optional: the whole split)."""

    classes: tuple[str, ...] = ()
    include_descendants: bool = False
    ids: tuple[str, ...] | None = None
    sample: int | None = None
    balanced: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.sample is not None and (not isinstance(self.sample, int) or self.sample < 1):
            raise InputError(f"--sample must be a positive integer, got {self.sample!r}")
        if self.balanced and self.sample is None:
            raise InputError("--balanced needs --sample N (the size of the class-balanced sample)")


def _match_ids(segments: Sequence[Segment], ids: Sequence[str], split: str) -> list[Segment]:
    by_clip = {s.clip_id: s for s in segments}
    by_ytid: dict[str, Segment] = {}
    for s in segments:
        by_ytid.setdefault(s.ytid, s)
    out, unknown = [], []
    for i in ids:
        i = i.strip()
        if not i:
            continue
        key = i[1:] if i.startswith("Y") and len(i) == 12 and i[1:] in by_ytid else i
        s = by_clip.get(key) or by_ytid.get(key)
        (out if s is not None else unknown).append(s if s is not None else i)
    if unknown:
        raise InputError(f"{len(unknown)} id(s) are not in the AudioSet {split} list (e.g. {unknown[0]!r}); "
                         "give YouTube ids or <YTID>_<start ms> clip ids of that split")
    keep = {s.clip_id for s in out}
    return [s for s in segments if s.clip_id in keep]


def select(segments: Sequence[Segment], selection: Selection, *, split: str) -> tuple[list[Segment], tuple[str, ...]]:
    """The chosen segments (in list order) and the resolved MIDs of the class filter."""
    chosen = list(segments)
    mids: tuple[str, ...] = ()
    if selection.ids is not None:
        chosen = _match_ids(chosen, selection.ids, split)
    if selection.classes:
        mids = resolve_classes(selection.classes, include_descendants=selection.include_descendants)
        wanted = set(mids)
        chosen = [s for s in chosen if wanted.intersection(s.labels)]
    n = selection.sample
    if n is not None and n < len(chosen):
        rng = np.random.default_rng(selection.seed)
        if selection.balanced:
            keep = _balanced(chosen, n, rng, set(mids) if mids else None)
        else:
            keep = set(int(i) for i in rng.choice(len(chosen), size=n, replace=False))
        chosen = [s for i, s in enumerate(chosen) if i in keep]
    return chosen, mids


def _balanced(chosen: Sequence[Segment], n: int, rng: np.random.Generator, only: set[str] | None) -> set[int]:
    per_class: dict[str, list[int]] = {}
    for i, s in enumerate(chosen):
        for m in s.labels:
            if only is None or m in only:
                per_class.setdefault(m, []).append(i)
    order = {m: k for k, m in enumerate(ontology())}
    queues = [list(rng.permutation(v)) for _, v in sorted(per_class.items(), key=lambda kv: order.get(kv[0], 1 << 30))]
    keep: set[int] = set()
    while len(keep) < n and any(queues):
        for q in queues:
            while q and q[0] in keep:
                q.pop(0)
            if q and len(keep) < n:
                keep.add(int(q.pop(0)))
    return keep


@dataclass(frozen=True)
class SubsetManifest:
    """A chosen subset: what is written, and read back with :meth:`read`."""

    split: str
    clips: tuple[Segment, ...]
    selection: Mapping[str, Any]
    command: str = ""
    dataset_version: str = "1.0"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.clip_id for s in self.clips)

    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.ids).encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "dataset_version": self.dataset_version, "split": self.split,
                "selection": dict(self.selection), "command": self.command, "n_clips": len(self.clips),
                "sha256": self.digest(),
                "clips": [{"id": s.clip_id, "ytid": s.ytid, "start": s.start, "end": s.end, "labels": list(s.labels)}
                          for s in self.clips]}

    def write(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def read(cls, path: Path) -> SubsetManifest:
        """Read a manifest, checking its format, version and digest.

        Raises:
            InputError: not a subset manifest, a newer version, or clips that do not match the sha256.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: no such subset manifest") from None
        except (ValueError, UnicodeDecodeError):
            raise InputError(f"{path}: not a JSON subset manifest") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{path}: not an {FORMAT} manifest (written by `avbench download audioset`)")
        if data.get("version") != VERSION:
            raise InputError(f"{path}: manifest version {data.get('version')!r}; this avbench reads version {VERSION}")
        try:
            clips = tuple(Segment(c["ytid"], round(float(c["start"]) * 1000), round(float(c["end"]) * 1000),
                                  tuple(c["labels"])) for c in data["clips"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path}: a clip entry lacks ytid/start/end/labels") from None
        out = cls(str(data["split"]), clips, dict(data.get("selection") or {}), str(data.get("command", "")),
                  str(data.get("dataset_version", "")))
        if out.digest() != data.get("sha256"):
            raise InputError(f"{path}: the clip list does not match its sha256 (edited by hand?); write it again")
        if [c["id"] for c in data["clips"]] != list(out.ids):
            raise InputError(f"{path}: a clip id does not match its ytid and start")
        return out
