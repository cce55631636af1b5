"""Sound event detection inputs: DCASE TSV readers and the shared in-memory representation.

Everything the SED metrics (:mod:`avbench.metrics.sed.segment`, :mod:`avbench.metrics.sed.event`,
the PSDS / intersection family) consume is built here:

- reference and detections: ``{clip id: [Event, ...]}`` (a clip with no events is a key with an
  empty list);
- frame-wise scores: ``{clip id: ScoreTable}`` (sed_scores_eval layout);
- :class:`SedPredictions`: one operating point, several operating points, and/or score tables,
  with :meth:`SedPredictions.single_op_events` so F1-type metrics work on any prediction kind.

File formats (TAB separated, ``.csv`` files may be comma separated):

- events: ``filename onset offset event_label``, header optional; a header row may order the
  columns differently (psds_eval operating-point files use ``event_label onset offset filename
  [index]``; sed_eval files may add ``scene_label``). Without a header the columns are
  ``filename onset offset event_label``, ``filename scene onset offset event_label``, or
  ``onset offset event_label`` (one clip, named after the file stem). A row whose label is empty
  declares a clip with no events. A row with ``onset == offset`` is dropped with a warning
  (avbench's rule: zero-length events cannot be scored; ``keep_zero_length=True`` returns it as a
  :class:`~avbench.metrics.sed._zero_length.ZeroLengthEvent` for the sed_eval profile); ``onset > offset``
  is an error.
- durations: ``filename duration``.
- score tables: a directory of one TSV per clip (``onset offset <class...>``, clip id = file
  stem), or one TSV with an extra ``filename`` column.
- operating points: a directory of event TSVs whose names end in the threshold
  (``predictions_th_0.59.tsv``), or a TSV of ``threshold<TAB>path`` rows.

Reference merge policy (:func:`merge_overlapping`): overlapping or touching same-class reference
events are merged into one with a warning by default and refused with an :class:`InputError`
under ``strict=True``; ``time_decimals`` rounds times before the comparison, so ``offset ==
next onset`` is decided the same way on every machine.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "gt.tsv").write_text(
    ...     "filename\\tonset\\toffset\\tevent_label\\n"
    ...     "a.wav\\t0.5\\t2.0\\tdog\\n"
    ...     "b.wav\\t\\t\\t\\n")
    >>> ref = read_events_tsv(d / "gt.tsv")
    >>> ref["a.wav"][0].offset, ref["b.wav"]
    (2.0, [])
    >>> st = ScoreTable([0.0, 1.0, 2.0], [[0.2], [0.9]], ("dog",))
    >>> SedPredictions(scores={"a.wav": st}).single_op_events(threshold=0.5)
    {'a.wav': [Event(onset=1.0, offset=2.0, label='dog', azimuth=None, elevation=None, distance=None, track=None, onscreen=None)]}
"""

from __future__ import annotations

import math
import operator
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.metrics.sed._score_files import read_score_dir
from avbench.metrics.sed._tables import ScoreTable, SedPredictions, table_from_rows
from avbench.model import Event

__all__ = [
    "ScoreTable",
    "SedPredictions",
    "read_events_tsv",
    "read_durations_tsv",
    "read_score_tables",
    "read_operating_points",
    "operating_point_files",
    "merge_overlapping",
    "clip_stem",
    "read_decoded",
    "sniff_separator",
    "AUDIO_SUFFIXES",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aac", ".opus")
_FILE_COLS = ("filename", "file", "audio_filename", "clip", "clip_id")
_ONSET_COLS = ("onset", "event_onset")
_OFFSET_COLS = ("offset", "event_offset")
_LABEL_COLS = ("event_label", "label", "event_labels")


def clip_stem(name: str) -> str:
    """``name`` without a trailing audio suffix (``"a.wav"`` -> ``"a"``), as sed_scores_eval keys clips.

    Example:
        >>> clip_stem("Y1_0.000_10.000.wav"), clip_stem("Y1_0.000_10.000")
        ('Y1_0.000_10.000', 'Y1_0.000_10.000')
    """
    low = name.lower()
    for suf in AUDIO_SUFFIXES:
        if low.endswith(suf):
            return name[: -len(suf)]
    return name


def read_decoded(path: Path) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark dropped).

    Raises:
        InputError: a missing file, a directory, or a byte that is not UTF-8 (names the line and
            the byte, e.g. a Latin-1 ``0xe9``).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a file, got a directory") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}, line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 (a Latin-1 or other legacy "
            "encoding?); save the file as UTF-8"
        ) from None


def sniff_separator(path: Path, first: str, line: int = 1) -> str:
    """``"\\t"`` or ``","`` for a file whose first non-empty line is ``first``.

    A line without tab or comma but with several space-separated words is refused: DCASE files are
    TAB separated, and reading such a line as one cell would turn the header into a clip name.

    Raises:
        InputError: a space-separated line (names the file and line).
    """
    if "\t" in first:
        return "\t"
    if "," in first:
        return ","
    if len(first.split()) >= 3:
        raise InputError(
            f"{path}, line {line}: columns are separated by spaces ({first.strip()[:60]!r}); DCASE files are TAB "
            "separated (or comma separated .csv): replace the spaces between columns with tabs"
        )
    return "\t"


def _read_rows(path: Path, text: str | None = None) -> list[list[str]]:
    """All lines of a TSV split into stripped cells (comma CSV when the first line has commas but no tab).

    ``text``: the file's text when the caller has already read it.

    Raises:
        InputError: not UTF-8, space separated (:func:`sniff_separator`).
    """
    if text is None:
        text = read_decoded(path)
    lines = text.splitlines()
    n_first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if n_first is None:
        return [[] for _ in lines]
    sep = sniff_separator(path, lines[n_first], n_first + 1)
    return [[c.strip() for c in ln.split(sep)] for ln in lines]


def _pick(header: list[str], names: Sequence[str]) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


def _float(value: str, path: Path, line: int, what: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise InputError(f"{path}, line {line}: {what} must be a number in seconds, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{path}, line {line}: {what} must be finite, got {value!r}")
    return v


def misspelt_columns(header: Sequence[str]) -> str:
    """``" ('event_lable' looks like 'event_label')"`` for header cells close to a known column name, else ``""``.

    Example:
        >>> misspelt_columns(["filename", "onset", "offset", "event_lable"])
        " ('event_lable' looks like a misspelt 'event_label')"
    """
    import difflib

    known = _FILE_COLS + _ONSET_COLS + _OFFSET_COLS + _LABEL_COLS
    hints = []
    for cell in header:
        low = cell.strip().lower()
        if low and low not in known:
            close = difflib.get_close_matches(low, known, n=1, cutoff=0.75)
            if close:
                hints.append(f"{cell.strip()!r} looks like a misspelt {close[0]!r}")
    return f" ({'; '.join(hints)})" if hints else ""


def read_events_tsv(
    path: str | Path, *, labels: Iterable[str] | None = None, stats: dict[str, Any] | None = None,
    keep_zero_length: bool = False,
) -> dict[str, list[Event]]:
    """Read a DCASE event TSV into ``{clip id: [Event, ...]}`` (events in file order).

    Args:
        path: the TSV (see the module docstring for the accepted layouts).
        labels: the allowed class names; a label outside them is an error naming the line.
        stats: when given, zero-length events (``onset == offset``, dropped) are also counted here
            (``stats["zero_length"]``, ``stats["zero_length_example"]`` = ``"file, line N"``) for
            the caller's report flags (the warning, a report note, is issued either way).
        keep_zero_length: return zero-length rows in place as
            :class:`~avbench.metrics.sed._zero_length.ZeroLengthEvent` (still counted in ``stats``, no
            warning) for the metrics that can count them as sed_eval does; they drop them by default.

    Returns:
        ``{clip id as written: events}``; clips declared by a row holding only the file name (the
        other cells empty or absent) map to ``[]``.

    Raises:
        InputError: unreadable file (not UTF-8: names the line), space-separated columns, a header
            that does not name the four columns (a misspelt name is pointed out), a row with some
            but not all fields (e.g. 3 of 4), a bad number, ``onset > offset``, an unknown label;
            the message names the file and line.
    """
    p = Path(path)
    text = read_decoded(p)
    allowed = None if labels is None else frozenset(labels)
    fast = _read_clean_events(text, allowed)
    if fast is not None:
        return fast
    rows = _read_rows(p, text)
    start = 0
    while start < len(rows) and not any(rows[start]):
        start += 1
    if start == len(rows):
        return {}
    head = [c.lower() for c in rows[start]]
    if any(h in _ONSET_COLS + _OFFSET_COLS + _LABEL_COLS + _FILE_COLS for h in head):
        fi, oi, fo, li = (_pick(head, n) for n in (_FILE_COLS, _ONSET_COLS, _OFFSET_COLS, _LABEL_COLS))
        if fi is None or li is None or oi is None or fo is None:
            raise InputError(
                f"{p}, line {start + 1}: read as a detections file (filename onset offset event_label), but the "
                f"header {chr(9).join(rows[start])!r} does not name all four columns{misspelt_columns(rows[start])}"
            )
        cols: tuple[int | None, int, int, int] = (fi, oi, fo, li)
        start += 1
    else:
        cols = _guess_columns(rows[start], p, start + 1)
    out: dict[str, list[Event]] = {}
    dropped = 0
    for n in range(start, len(rows)):
        row = rows[n]
        if not any(row):
            continue
        line = n + 1
        fi, oi, fo, li = cols
        need = max(c for c in cols if c is not None)
        clip = row[fi] if fi is not None else p.stem
        if fi is not None and (len(row) <= fi or not clip):
            raise InputError(f"{p}, line {line}: no filename in column {fi + 1}")
        label = row[li] if len(row) > li else ""
        if not label or len(row) <= need:
            if sum(1 for c in row if c) <= (0 if fi is None else 1):
                out.setdefault(clip, [])  # a clip declared without events
                continue
            raise InputError(
                f"{p}, line {line}: {sum(1 for c in row if c)} of the {need + 1} fields of a detection row "
                f"({chr(9).join(row)!r}); a row is 'filename onset offset event_label', or the file name alone "
                "for a clip without events"
            )
        if allowed is not None and label not in allowed:
            raise InputError(
                f"{p}, line {line}: unknown event label {label!r}; expected one of {', '.join(sorted(allowed))}"
            )
        on = _float(row[oi], p, line, "onset")
        off = _float(row[fo], p, line, "offset")
        if on == off:
            dropped += 1
            if stats is not None and "zero_length_example" not in stats:
                stats["zero_length_example"] = f"{p}, line {line}"
            if keep_zero_length:
                from avbench.metrics.sed._zero_length import ZeroLengthEvent

                try:
                    out.setdefault(clip, []).append(ZeroLengthEvent(on, off, label))
                except InputError as exc:
                    raise InputError(f"{p}, line {line}: {exc}") from None
            else:
                out.setdefault(clip, [])
            continue
        try:
            ev = Event(on, off, label)
        except InputError as exc:
            raise InputError(f"{p}, line {line}: {exc}") from None
        out.setdefault(clip, []).append(ev)
    if dropped:
        if stats is not None:
            stats["zero_length"] = stats.get("zero_length", 0) + dropped
        if not keep_zero_length:
            warnings.warn(f"{p}: dropped {dropped} zero-length event(s) (onset == offset)", stacklevel=2)
    return out


_ODD_SPACE = re.compile(r"[^\S\t\n]")  # whitespace a cell would be stripped of, or a line break other than LF
_ASCII_ODD_SPACE = " \r\x0b\x0c\x1c\x1d\x1e\x1f"  # the same, in ASCII text (str.strip's ASCII white space)


def _odd_space(text: str) -> bool:
    """Whether ``text`` holds white space other than TAB and LF (a scan per character for ASCII text)."""
    if text.isascii():
        return any(c in text for c in _ASCII_ODD_SPACE)
    return _ODD_SPACE.search(text) is not None


def _event_maker() -> Any:
    """``make(onset, offset, label)``: an :class:`Event` equal to ``Event(onset, offset, label)`` for values
    already checked as ``Event`` checks them (floats, ``0 <= onset < offset``, finite, a non-empty label),
    without checking them again; ``Event`` itself when its fields are not all plain defaults."""
    import dataclasses

    rest = [f for f in dataclasses.fields(Event) if f.name not in ("onset", "offset", "label")]
    if any(f.default is dataclasses.MISSING for f in rest) or not hasattr(Event, "__slots__"):
        return Event
    set_on, set_off, set_label = (getattr(Event, n).__set__ for n in ("onset", "offset", "label"))
    defaults = [(getattr(Event, f.name).__set__, f.default) for f in rest]
    new = object.__new__

    def make(onset: float, offset: float, label: str) -> Event:
        ev = new(Event)
        set_on(ev, onset)
        set_off(ev, offset)
        set_label(ev, label)
        for put, value in defaults:
            put(ev, value)
        return ev

    return make


def _read_clean_events(text: str, allowed: frozenset[str] | None) -> dict[str, list[Event]] | None:
    """:func:`read_events_tsv`'s result for a clean file, else ``None`` (then the general reader runs).

    Clean: a header naming the four columns, LF line ends, no blank line, no cell with spaces
    around it, every row as many cells as the header, every row an event (numbers with
    ``0 <= onset < offset``, a label in ``allowed``) or a clip declared alone. Anything else
    (including every error and every zero-length event) is left to the general reader, which
    gives its message, line numbers and counts.
    """
    if _odd_space(text):
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or "" in lines:
        return None
    first = lines[0]
    sep = "\t" if "\t" in first else "," if "," in first else None
    if sep is None:
        return None
    head = first.lower().split(sep)
    fi, oi, fo, li = (_pick(head, n) for n in (_FILE_COLS, _ONSET_COLS, _OFFSET_COLS, _LABEL_COLS))
    if fi is None or oi is None or fo is None or li is None:
        return None
    n = len(head)
    others = [j for j in range(n) if j != fi]
    make = _event_maker()
    out: dict[str, list[Event]] = {}
    inf = math.inf
    try:
        for line in lines[1:]:
            row = line.split(sep)
            if len(row) != n:
                return None
            clip, label = row[fi], row[li]
            if not clip:
                return None
            if not label:
                if any(row[j] for j in others):
                    return None
                out.setdefault(clip, [])
                continue
            if allowed is not None and label not in allowed:
                return None
            on, off = float(row[oi]), float(row[fo])
            if not (0.0 <= on < off < inf):  # NaN fails too
                return None
            evs = out.get(clip)
            if evs is None:
                evs = out[clip] = []
            evs.append(make(on, off, label))
    except ValueError:
        return None
    return out


def _guess_columns(row: list[str], p: Path, line: int) -> tuple[int | None, int, int, int]:
    def num(s: str) -> bool:
        try:
            float(s)
        except ValueError:
            return False
        return True

    if len(row) >= 3 and num(row[0]) and num(row[1]):
        return (None, 0, 1, 2)
    if len(row) >= 5 and num(row[2]) and num(row[3]):
        return (0, 2, 3, 4)
    if len(row) == 1 or len(row) >= 4:
        return (0, 1, 2, 3)
    raise InputError(
        f"{p}, line {line}: cannot tell the columns of {row!r}; expected 'filename onset offset event_label' "
        "or a header row naming them"
    )


def read_durations_tsv(path: str | Path) -> dict[str, float]:
    """Read ``filename duration`` rows (header optional) into ``{clip id: seconds}``.

    Raises:
        InputError: a bad or non-positive duration, or a clip listed twice (names file and line).
    """
    p = Path(path)
    rows = _read_rows(p)
    out: dict[str, float] = {}
    fi, di = 0, 1
    for n, row in enumerate(rows):
        if not any(row):
            continue
        low = [c.lower() for c in row]
        if not out and "duration" in low:
            fi = _pick(low, _FILE_COLS) or 0
            di = low.index("duration")
            continue
        if len(row) <= max(fi, di):
            raise InputError(f"{p}, line {n + 1}: expected 'filename<TAB>duration', got {row!r}")
        d = _float(row[di], p, n + 1, "duration")
        if d <= 0:
            raise InputError(f"{p}, line {n + 1}: duration must be > 0 s, got {d}")
        if row[fi] in out:
            raise InputError(f"{p}, line {n + 1}: clip {row[fi]!r} is listed twice")
        out[row[fi]] = d
    return out


def read_score_tables(path: str | Path) -> dict[str, ScoreTable]:
    """Read sed_scores-style score tables: a directory of ``<clip>.tsv`` or one TSV with ``filename``.

    Raises:
        InputError: a table without ``onset offset <class...>`` columns, non-numeric scores, gaps
            between frames, or (directory) no ``.tsv`` files.
    """
    p = Path(path)
    if p.is_dir():
        # sorted by name (what sorting the paths gives in one directory, without pathlib's slow comparisons)
        files = sorted((f for f in p.iterdir() if f.suffix.lower() == ".tsv"), key=lambda f: os.path.normcase(f.name))
        if not files:
            raise InputError(f"{p}: no .tsv score files in this directory")
        if len({f.stem for f in files}) == len(files):
            return read_score_dir(p, files, slow=lambda: _read_score_files(p, files))
        return _read_score_files(p, files)
    return _read_score_file(p)


def _read_score_files(p: Path, files: list[Path]) -> dict[str, ScoreTable]:
    """The per-file reader of a score-table directory (every error names its file and line)."""
    out = {}
    stems: dict[str, Path] = {}
    for f in files:
        rows = [r for r in _read_rows(f) if any(r)]
        if not rows:
            raise InputError(f"{f}: empty score file; every clip's table needs a header 'onset offset <class...>' "
                             "and at least one frame")
        if f.stem in stems:
            raise InputError(f"{p}: score files {stems[f.stem].name} and {f.name} are both for clip {f.stem!r}")
        stems[f.stem] = f
        out[f.stem] = table_from_rows(rows[0], rows[1:], f, 1)
    return out


def _read_score_file(p: Path) -> dict[str, ScoreTable]:
    rows = [r for r in _read_rows(p) if any(r)]
    if not rows:
        raise InputError(f"{p}: empty score file")
    head = rows[0]
    fi = _pick([h.lower() for h in head], _FILE_COLS)
    if fi is None:
        return {p.stem: table_from_rows(head, rows[1:], p, 1)}
    rest = head[:fi] + head[fi + 1 :]
    groups: dict[str, list[list[str]]] = {}
    for r in rows[1:]:
        groups.setdefault(r[fi], []).append(r[:fi] + r[fi + 1 :])
    return {k: table_from_rows(rest, v, p, 1) for k, v in groups.items()}



_TH_RE = re.compile(r"(\d+(?:\.\d+)?(?:[eE]-?\d+)?)$")


def operating_point_files(path: str | Path) -> list[tuple[float, Path]]:
    """``[(threshold, file)]`` sorted by threshold, from a directory or a ``threshold<TAB>path`` list.

    Raises:
        InputError: no threshold in a file name, a threshold given twice, nothing found.
    """
    p = Path(path)
    entries: list[tuple[float, Path]] = []
    if p.is_dir():
        for f in sorted(p.iterdir()):
            if f.suffix.lower() not in (".tsv", ".csv"):
                continue
            m = _TH_RE.search(f.stem)
            if m is None:
                raise InputError(f"{f}: operating-point file names must end in the threshold, e.g. predictions_th_0.5.tsv")
            entries.append((float(m.group(1)), f))
    else:
        for n, row in enumerate(_read_rows(p)):
            if not any(row) or (n == 0 and row[0].lower() == "threshold"):
                continue
            if len(row) < 2:
                raise InputError(f"{p}, line {n + 1}: expected 'threshold<TAB>path', got {row!r}")
            f = Path(row[1])
            entries.append((_float(row[0], p, n + 1, "threshold"), f if f.is_absolute() else p.parent / f))
    if not entries:
        raise InputError(f"{p}: no operating-point files found")
    entries.sort(key=lambda x: x[0])
    for (t0, _), (t1, f) in zip(entries, entries[1:]):
        if t0 == t1:
            raise InputError(f"{f}: threshold {t1} is given twice")
    return entries


def read_operating_points(path: str | Path, *, labels: Iterable[str] | None = None) -> dict[float, dict[str, list[Event]]]:
    """Read detections at several thresholds: ``{threshold: {clip id: [Event, ...]}}``.

    ``path`` is a directory of event TSVs whose stem ends in the threshold
    (``predictions_th_0.59.tsv``), or a TSV of ``threshold<TAB>path`` rows (paths relative to it).
    For large inputs, :func:`avbench.metrics.sed._op_files.read_operating_point_columns` reads the
    same files into columns without building Events (what ``avbench evaluate`` uses).

    Raises:
        InputError: no threshold in a file name, a threshold given twice, unreadable listed files.
    """
    return {th: read_events_tsv(f, labels=labels) for th, f in operating_point_files(path)}


def merge_overlapping(
    events: Mapping[str, Sequence[Event]], *, strict: bool = False, time_decimals: int | None = 6, what: str = "reference"
) -> tuple[dict[str, list[Event]], int]:
    """Merge overlapping or touching same-class events of each clip (sorted by onset).

    Two same-class events are connected when ``next.onset <= current.offset`` after rounding both
    to ``time_decimals`` (``None``: raw floats). Connected events become one event from the first
    onset to the latest offset.

    Returns:
        ``({clip: events sorted by (onset, offset, label)}, number of merges)``.

    Raises:
        InputError: under ``strict=True``, at the first connected pair (names the clip and times).

    Example:
        >>> ev = {"a": [Event(0, 2, "x"), Event(2, 3, "x"), Event(1, 4, "y")]}
        >>> merged, n = merge_overlapping(ev)
        >>> [(e.onset, e.offset, e.label) for e in merged["a"]], n
        ([(0.0, 3.0, 'x'), (1.0, 4.0, 'y')], 1)
    """

    def rnd(t: float) -> float:
        return t if time_decimals is None else round(t, time_decimals)

    out: dict[str, list[Event]] = {}
    n_merged = 0
    for clip, evs in events.items():
        keep: list[Event] = []
        cur: dict[str, Event] = {}
        for ev in sorted(evs, key=_BY_LABEL_TIME):
            prev = cur.get(ev.label)
            if prev is not None and rnd(ev.onset) <= rnd(prev.offset):
                if strict:
                    raise InputError(
                        f"{what} clip {clip!r}: same-class events {ev.label!r} [{prev.onset}, {prev.offset}] and "
                        f"[{ev.onset}, {ev.offset}] overlap or touch; merge them or drop strict mode"
                    )
                n_merged += 1
                cur[ev.label] = Event(prev.onset, max(prev.offset, ev.offset), ev.label)
                keep[-1] = cur[ev.label]
                continue
            cur[ev.label] = ev
            keep.append(ev)
        keep.sort(key=_BY_TIME)
        out[clip] = keep
    return out, n_merged


_BY_LABEL_TIME = operator.attrgetter("label", "onset", "offset")
_BY_TIME = operator.attrgetter("onset", "offset", "label")
