"""AudioSet metadata: exact parsers of the released files, Excel-mangling detection, the packaged index.

Released files (``storage.googleapis.com/us_audioset/youtube_corpus/``):

- ``v1/csv/{eval,balanced_train,unbalanced_train}_segments.csv``: three comment lines, each starting
  with ``# `` (``# Segments csv created ...``, ``# num_ytids=N, num_segs=N, num_unique_labels=527,
  num_positive_labels=M``, ``# YTID, start_seconds, end_seconds, positive_labels``), then rows
  ``YTID, start, end, "mid,mid,..."``: the separator is comma + space, the seconds carry three
  decimals and the label list is double-quoted. Parsed with :mod:`csv` (``skipinitialspace``); the
  header counts are checked against the rows.
- ``v1/csv/class_labels_indices.csv``: ``index,mid,display_name`` (527 rows, names quoted).
- ``strong/audioset_{train,eval}_strong.tsv``: ``segment_id<TAB>start_time_seconds<TAB>
  end_time_seconds<TAB>label`` with ``segment_id = <YTID>_<start in ms>``;
  ``audioset_eval_strong_framed_posneg.tsv`` adds ``present`` (``PRESENT`` / ``NOT_PRESENT``);
  ``mid_to_display_name.tsv``: ``mid<TAB>name``, no header, 456 rows.
- ``ontology.json`` (github.com/audioset/ontology): 632 ``{id, name, child_ids, restrictions, ...}``.

Copies saved by a spreadsheet program are refused with a message: they lose the ``# `` of the
comment lines, turn ids starting with ``-`` or ``=`` into ``#NAME?`` and write whole seconds
without decimals.

Example:
    >>> text = ("# Segments csv created Sun Mar  5 10:54:25 2017\\n"
    ...         "# num_ytids=1, num_segs=1, num_unique_labels=2, num_positive_labels=2\\n"
    ...         "# YTID, start_seconds, end_seconds, positive_labels\\n"
    ...         '--4gqARaEJE, 0.000, 10.000, "/m/068hy,/m/0bt9lr"\\n')
    >>> seg = parse_segments(text, source="x.csv")[0]
    >>> seg.ytid, seg.start_ms, seg.labels, seg.clip_id
    ('--4gqARaEJE', 0, ('/m/068hy', '/m/0bt9lr'), '--4gqARaEJE_0')
    >>> parse_segments(text.replace("# num", "num"), source="x.csv")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: x.csv line 2: a spreadsheet program (Excel) saved this copy: comment line 2 lost its '# ' prefix; such copies lose ids and headers. Use the original file: `avbench download audioset --parts meta`
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from avbench.errors import InputError

__all__ = [
    "Segment",
    "StrongEvent",
    "OntologyNode",
    "SPLITS",
    "parse_segments",
    "parse_class_labels",
    "parse_mid_to_display_name",
    "parse_strong",
    "parse_ontology",
    "classes",
    "strong_vocabulary",
    "ontology",
    "index_segments",
    "index_files",
    "git_blob_id",
]

INDEX = Path(__file__).resolve().parent / "index"
SPLITS = ("eval", "balanced_train", "unbalanced_train")
_HEADER3 = "# YTID, start_seconds, end_seconds, positive_labels"
_COUNTS = re.compile(r"# num_ytids=(\d+), num_segs=(\d+), num_unique_labels=(\d+), num_positive_labels=(\d+)")
_YTID = re.compile(r"[A-Za-z0-9_-]{11}")
_SECONDS = re.compile(r"\d+\.\d{3}")
_MID = re.compile(r"/[a-z]/[0-9a-z_]+")
_MANGLED = ("a spreadsheet program (Excel) saved this copy: {what}; such copies lose ids and headers. "
            "Use the original file: `avbench download audioset --parts meta`")


@dataclass(frozen=True)
class Segment:
    """One row of a segment list: a 10-s (or shorter) section of a YouTube video and its labels."""

    ytid: str
    start_ms: int
    end_ms: int
    labels: tuple[str, ...]

    @property
    def clip_id(self) -> str:
        """``<YTID>_<start in ms>``: the ``segment_id`` of the strong labels."""
        return f"{self.ytid}_{self.start_ms}"

    @property
    def start(self) -> float:
        return self.start_ms / 1000.0

    @property
    def end(self) -> float:
        return self.end_ms / 1000.0


@dataclass(frozen=True)
class StrongEvent:
    """One row of a strong-label file (seconds inside the 10-s segment)."""

    segment_id: str
    onset: float
    offset: float
    mid: str
    present: bool = True


@dataclass(frozen=True)
class OntologyNode:
    mid: str
    name: str
    children: tuple[str, ...]
    restrictions: tuple[str, ...]


def _mangled(where: str, what: str) -> InputError:
    return InputError(f"{where}: " + _MANGLED.format(what=what))


def _ms(value: str, where: str, field: str) -> int:
    if not _SECONDS.fullmatch(value):
        if re.fullmatch(r"\d+", value):
            raise _mangled(where, f"{field} {value!r} has no decimals (the original writes 3)")
        raise InputError(f"{where}: {field} must be seconds with 3 decimals, got {value!r}")
    whole, frac = value.split(".")
    return int(whole) * 1000 + int(frac)


def parse_segments(text: str, *, source: str, check_counts: bool = True) -> list[Segment]:
    """Parse a segment list (see the module docstring), exactly.

    Raises:
        InputError: a spreadsheet-mangled copy, a malformed row or header, or header counts that
            differ from the rows (naming ``source`` and the line).
    """
    lines = text.splitlines()
    if len(lines) < 3:
        raise InputError(f"{source}: expected 3 comment lines then rows; the file has {len(lines)} line(s)")
    for n, line in enumerate(lines[:3], start=1):
        if not line.startswith("# "):
            stripped = line.lstrip("#").lstrip()
            if stripped.startswith(("Segments csv", "num_ytids", "YTID")):
                raise _mangled(f"{source} line {n}", f"comment line {n} lost its '# ' prefix")
            raise InputError(f"{source} line {n}: expected a '# ' comment line, got {line[:60]!r}")
    if lines[2] != _HEADER3:
        raise InputError(f"{source} line 3: expected {_HEADER3!r}, got {lines[2][:80]!r}")
    counts = _COUNTS.fullmatch(lines[1])
    if counts is None:
        raise InputError(f"{source} line 2: expected '# num_ytids=N, num_segs=N, num_unique_labels=N, "
                         f"num_positive_labels=N', got {lines[1][:80]!r}")
    out: list[Segment] = []
    reader = csv.reader(lines[3:], skipinitialspace=True)
    for n, cells in enumerate(reader, start=4):
        if not cells:
            continue
        where = f"{source} line {n}"
        if len(cells) != 4:
            raise InputError(f"{where}: expected 4 fields (YTID, start, end, \"labels\"), got {len(cells)}")
        ytid, start, end, labels = cells
        if ytid.startswith("#NAME") or ytid.startswith("="):
            raise _mangled(where, f"the id became {ytid!r}")
        if not _YTID.fullmatch(ytid):
            raise InputError(f"{where}: {ytid!r} is not an 11-character YouTube id")
        s, e = _ms(start, where, "start_seconds"), _ms(end, where, "end_seconds")
        if not s < e:
            raise InputError(f"{where}: start {start} must be before end {end}")
        mids = tuple(m.strip() for m in labels.split(","))
        bad = [m for m in mids if not _MID.fullmatch(m)]
        if bad:
            raise InputError(f"{where}: {bad[0]!r} is not an ontology MID (like /m/09x0r)")
        out.append(Segment(ytid, s, e, mids))
    if check_counts:
        n_ids, n_segs, _, n_pos = (int(x) for x in counts.groups())
        got_pos = sum(len(s.labels) for s in out)
        if n_segs != len(out) or n_pos != got_pos:
            raise InputError(f"{source}: the header says {n_segs} segments / {n_pos} positive labels, the file has "
                             f"{len(out)} / {got_pos}: it is truncated or edited; download it again")
    return out


def parse_class_labels(text: str, *, source: str) -> list[tuple[str, str]]:
    """``[(mid, display_name), ...]`` in index order from ``class_labels_indices.csv``.

    Raises:
        InputError: a wrong header, a gap in the indices, or a mangled row.
    """
    rows = list(csv.reader(text.splitlines()))
    if not rows or rows[0] != ["index", "mid", "display_name"]:
        got = rows[0] if rows else []
        if got and got[0].lstrip("\ufeff") == "index":
            raise _mangled(f"{source} line 1", "a byte-order mark was added")
        raise InputError(f"{source} line 1: expected the header index,mid,display_name, got {','.join(got)!r}")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != 3 or row[0] != str(n - 2) or not _MID.fullmatch(row[1]):
            raise InputError(f"{source} line {n}: expected '{n - 2},<mid>,\"<name>\"', got {','.join(row)[:80]!r}")
        out.append((row[1], row[2]))
    return out


def parse_mid_to_display_name(text: str, *, source: str) -> list[tuple[str, str]]:
    """``[(mid, name), ...]`` from the header-less ``mid_to_display_name.tsv``."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        mid, sep, name = line.partition("\t")
        if not sep or not _MID.fullmatch(mid) or not name:
            raise InputError(f"{source} line {n}: expected '<mid><TAB><name>', got {line[:80]!r}")
        out.append((mid, name))
    return out


def parse_strong(lines: Iterable[str], *, source: str) -> list[StrongEvent]:
    """Rows of ``audioset_{train,eval}_strong.tsv`` or ``audioset_eval_strong_framed_posneg.tsv``.

    Example:
        >>> ev = parse_strong(["segment_id\\tstart_time_seconds\\tend_time_seconds\\tlabel",
        ...                    "YxlGt805lTA_30000\\t2.627\\t7.237\\t/m/053hz1"], source="s.tsv")[0]
        >>> ev.segment_id, ev.onset, ev.mid
        ('YxlGt805lTA_30000', 2.627, '/m/053hz1')
    """
    it = iter(lines)
    header = next(it, "").rstrip("\r\n").split("\t")
    base = ["segment_id", "start_time_seconds", "end_time_seconds", "label"]
    framed = header == [*base, "present"]
    if header != base and not framed:
        raise InputError(f"{source} line 1: expected the header {'<TAB>'.join(base)}[<TAB>present], got {header!r}")
    out = []
    for n, raw in enumerate(it, start=2):
        line = raw.rstrip("\r\n")
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise InputError(f"{source} line {n}: expected {len(header)} tab-separated fields, got {len(cells)}")
        seg = cells[0]
        ytid, _, ms = seg.rpartition("_")
        if not _YTID.fullmatch(ytid) or not ms.isdigit():
            raise InputError(f"{source} line {n}: segment_id {seg!r} is not <YTID>_<start in ms>")
        try:
            on, off = float(cells[1]), float(cells[2])
        except ValueError:
            raise InputError(f"{source} line {n}: times must be numbers, got {cells[1]!r}, {cells[2]!r}") from None
        if not 0 <= on <= off:
            raise InputError(f"{source} line {n}: need 0 <= start <= end, got {on}, {off}")
        present = True
        if framed:
            if cells[4] not in ("PRESENT", "NOT_PRESENT"):
                raise InputError(f"{source} line {n}: present must be PRESENT or NOT_PRESENT, got {cells[4]!r}")
            present = cells[4] == "PRESENT"
        out.append(StrongEvent(seg, on, off, cells[3], present))
    return out


def parse_ontology(text: str, *, source: str) -> dict[str, OntologyNode]:
    """``{mid: node}`` from ``ontology.json``, children checked to exist."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source}: not JSON ({exc})") from None
    if not isinstance(data, list):
        raise InputError(f"{source}: expected a JSON list of ontology entries")
    out: dict[str, OntologyNode] = {}
    for n, e in enumerate(data):
        try:
            node = OntologyNode(str(e["id"]), str(e["name"]), tuple(e.get("child_ids", ())),
                                tuple(e.get("restrictions", ())))
        except (KeyError, TypeError):
            raise InputError(f"{source}: entry {n} lacks 'id' or 'name'") from None
        out[node.mid] = node
    for node in out.values():
        for c in node.children:
            if c not in out:
                raise InputError(f"{source}: {node.name!r} lists child {c!r}, which is not in the ontology")
    return out


def git_blob_id(path: Path) -> str:
    """What ``git hash-object FILE`` prints: ``sha1("blob <size>\\0" + content)``."""
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- the packaged index ----------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _classes_file() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    weak, strong, cur = [], [], None
    for line in (INDEX / "classes.tsv").read_text(encoding="utf-8").splitlines():
        if line == "# strong":
            cur = strong
            continue
        cells = line.split("\t")
        if cur is None:
            weak.append((cells[1], cells[2]))
        else:
            cur.append((cells[0], cells[1]))
    return tuple(weak), tuple(strong)


def classes() -> tuple[tuple[str, str], ...]:
    """The 527 ``(mid, display_name)`` of ``class_labels_indices.csv``, in index order."""
    return _classes_file()[0]


def strong_vocabulary() -> tuple[tuple[str, str], ...]:
    """The 456 ``(mid, display_name)`` of the strong labels (``mid_to_display_name.tsv``)."""
    return _classes_file()[1]


@functools.lru_cache(maxsize=1)
def ontology() -> Mapping[str, OntologyNode]:
    """The packaged ontology (632 nodes; names, children and restrictions only)."""
    data = json.loads(gzip.decompress((INDEX / "ontology.json.gz").read_bytes()).decode("utf-8"))
    return {mid: OntologyNode(mid, name, tuple(ch), tuple(r)) for mid, name, ch, r in data}


@functools.lru_cache(maxsize=2)
def index_segments(split: str) -> tuple[Segment, ...]:
    """The packaged ``eval`` or ``balanced_train`` segment list (the unbalanced one is downloaded)."""
    if split not in ("eval", "balanced_train"):
        raise InputError(f"the packaged index holds the eval and balanced_train lists, not {split!r}; "
                         "`avbench download audioset --parts unbalanced` fetches the unbalanced list")
    mids = [m for m, _ in classes()]
    out = []
    for line in gzip.decompress((INDEX / "segments.tsv.gz").read_bytes()).decode("utf-8").splitlines():
        sp, ytid, s, e, idx = line.split("\t")
        if sp == split:
            out.append(Segment(ytid, int(s), int(e), tuple(mids[int(i)] for i in idx.split(","))))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def index_files() -> tuple[Mapping[str, object], ...]:
    """The released files with host, part, size and digests (``index/files.json``)."""
    return tuple(json.loads((INDEX / "files.json").read_text(encoding="utf-8"))["files"])


def segments_from_file(path: Path) -> list[Segment]:
    """Parse a segment list on disk (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _mangled(str(path), "it is not UTF-8") from None
    return parse_segments(text, source=str(path))


def display_names(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)
