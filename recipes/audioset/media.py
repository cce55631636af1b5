"""AudioSet media: availability from the YouTube manifest and the Hub-mirror manifest; Hub mirrors.

Two sources give a clip its audio (and video):

- YouTube, through the download engine (``youtube/youtube_manifest.tsv``, see
  :mod:`avbench.download.manifest`); a ``mode=audio`` request never looks at the video, so its
  video stays *unknown*;
- a Hugging Face Hub mirror (``--source hub --repo ID [--revision REV]``): parquet shards (columns
  ``video_id, audio, labels, human_labels``, read with ``datasets``) or webdataset ``.tar`` shards
  (``<key>.flac|wav|mp3`` members, read with ``webdataset``), fetched through the engine at one
  pinned commit; each clip of the subset is written to ``hub/audio/<clip id>.<ext>`` and recorded in
  ``hub/hub_manifest.tsv`` (``clip_id, status, repo, revision, shard, path, sha256``; status ``ok``
  or ``absent``). Mirrors hold audio only: their video is *missing*.

Three states per clip (:class:`~avbench.model.VideoState`): a YouTube row ``ok`` gives the saved
file's streams; a permanent status (``removed``, ``private``, ``unavailable``...) gives missing audio
and video; ``error`` (a network failure, a rate limit) and no row at all give unknown.

Example:
    >>> mirror_key("Y--4gqARaEJE")
    '--4gqARaEJE'
    >>> mirror_key("--4gqARaEJE_30000")
    '--4gqARaEJE'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.errors import DownloadError, InputError
from avbench.extras import require
from avbench.io import atomic_open
from avbench.recipes.audioset.metadata import Segment

__all__ = ["YOUTUBE_MANIFEST", "HUB_MANIFEST", "Availability", "availability", "mirror_key", "fetch_hub_mirror",
           "SPLIT_ALIASES"]

YOUTUBE_MANIFEST = "youtube/youtube_manifest.tsv"
HUB_MANIFEST = "hub/hub_manifest.tsv"
HUB_COLUMNS = ("clip_id", "status", "repo", "revision", "shard", "path", "sha256")
SPLIT_ALIASES = {
    "eval": ("eval", "test", "evaluation"),
    "balanced_train": ("bal_train", "balanced_train", "balanced", "train_balanced", "20k"),
    "unbalanced_train": ("unbal_train", "unbalanced_train", "unbalanced", "train_unbalanced", "2m"),
}
_AUDIO_EXT = ("flac", "wav", "mp3", "ogg", "m4a")


def mirror_key(key: str) -> str:
    """The YouTube id in a mirror's key (``Y<ytid>``, ``<ytid>_<start ms>`` or ``<ytid>``)."""
    if len(key) == 12 and key.startswith("Y"):
        return key[1:]
    m = re.fullmatch(r"([A-Za-z0-9_-]{11})(?:_\d+(?:\.\d+)?)*", key)
    return m.group(1) if m else key


@dataclass(frozen=True)
class Availability:
    audio: str | None
    video: str | None
    has_audio: bool | None
    has_video: bool | None
    source: str


def _read_hub_manifest(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    if not lines or tuple(lines[0].split("\t")) != HUB_COLUMNS:
        raise InputError(f"{path}:1: header must be {'<TAB>'.join(HUB_COLUMNS)}; delete the file and fetch again")
    out = {}
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(HUB_COLUMNS) or cells[1] not in ("ok", "absent"):
            raise InputError(f"{path}:{n}: malformed row; delete the file and fetch again")
        out[cells[0]] = dict(zip(HUB_COLUMNS, cells))
    return out


def availability(root: Path, clip_ids: Sequence[str]) -> dict[str, Availability]:
    """Audio/video location and three-state flags of each clip (see the module docstring)."""
    youtube: Mapping[str, Any] = {}
    if (root / YOUTUBE_MANIFEST).is_file():
        from avbench.download.manifest import read_manifest

        youtube = read_manifest(root / YOUTUBE_MANIFEST)
    hub = _read_hub_manifest(root / HUB_MANIFEST)
    out = {}
    for cid in clip_ids:
        audio = video = None
        has_audio: bool | None = None
        has_video: bool | None = None
        source = ""
        row = youtube.get(cid)
        if row is not None:
            source = "youtube"
            rel = f"youtube/{row.path}" if row.path else ""
            if row.status == "ok":
                on_disk = (root / rel).is_file()
                has_audio = row.has_audio and on_disk
                has_video = (row.has_video and on_disk) if row.mode == "av" else None
                audio = rel if has_audio else None
                video = rel if has_video else None
            elif row.permanent:
                has_audio = has_video = False
        h = hub.get(cid)
        if h is not None and not has_audio:
            source = f"hub:{h['repo']}@{h['revision']}"
            ok = h["status"] == "ok" and (root / h["path"]).is_file()
            has_audio, audio = ok, (h["path"] if ok else None)
            if has_video is None:
                has_video = False  # a mirror holds no video
        out[cid] = Availability(audio, video, has_audio, has_video, source)
    return out


# -- Hub mirrors -------------------------------------------------------------------------------
def _shards(names: Sequence[str], split: str) -> tuple[str, list[str]]:
    aliases = SPLIT_ALIASES[split]
    kinds = {"parquet": [n for n in names if n.endswith(".parquet")], "webdataset": [n for n in names if n.endswith(".tar")]}
    for kind, files in kinds.items():
        hit = [n for n in files if any(a in re.split(r"[/_.-]", n.lower()) or f"/{a}/" in f"/{n.lower()}"
                                       for a in aliases)]
        if hit:
            return kind, sorted(hit)
    raise InputError(f"the mirror has no parquet or .tar shard for split {split!r} (file names with "
                     f"{', '.join(aliases)}); its files: {', '.join(list(names)[:8])}")


def _parquet_rows(path: Path) -> Iterator[tuple[str, bytes, str]]:
    datasets = require("datasets", "mirrors")
    ds = datasets.Dataset.from_parquet(str(path), cache_dir=str(path.parent / ".hf-cache"))
    if "audio" in ds.column_names:
        ds = ds.cast_column("audio", datasets.Audio(decode=False))
    key = "video_id" if "video_id" in ds.column_names else ("ytid" if "ytid" in ds.column_names else None)
    if key is None or "audio" not in ds.column_names:
        raise InputError(f"{path.name}: a parquet mirror needs the columns video_id and audio, has {ds.column_names}")
    for row in ds:
        audio = row["audio"] or {}
        data = audio.get("bytes")
        if not data:
            continue
        name = str(audio.get("path") or "")
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "flac"
        yield str(row[key]), data, ext if ext in _AUDIO_EXT else "flac"


def _wds_rows(path: Path) -> Iterator[tuple[str, bytes, str]]:
    wds = require("webdataset", "mirrors")
    for sample in wds.WebDataset(str(path), shardshuffle=False, empty_check=False):
        ext = next((e for e in _AUDIO_EXT if e in sample), None)
        if ext is not None:
            yield str(sample["__key__"]).rsplit("/", 1)[-1], bytes(sample[ext]), ext


def fetch_hub_mirror(root: Path, segments: Sequence[Segment], *, split: str, repo: str, revision: str | None,
                     **options: Any) -> dict[str, Any]:
    """Fetch the shards of ``split`` from Hub dataset ``repo`` through the engine, write the subset's
    clips to ``hub/audio/`` and record every clip (ok or absent) in :data:`HUB_MANIFEST`.

    Returns:
        ``{"repo", "revision" (the commit), "kind", "shards", "ok", "absent"}``.
    """
    from avbench.download import HubSource, Resource, fetch_resources
    from avbench.download.hub import list_files

    commit, names = list_files(repo, revision=revision, timeout=float(options.get("timeout") or 60.0))
    kind, shards = _shards(names, split)
    res = [Resource(f"hub/shards/{repo}/{n}", HubSource(repo, n, revision=commit), part="audio") for n in shards]
    fetch_resources(res, root, **options)
    if options.get("dry_run"):
        return {"repo": repo, "revision": commit, "kind": kind, "shards": shards, "ok": 0, "absent": 0}
    wanted: dict[str, Segment] = {}
    for s in segments:
        wanted.setdefault(s.ytid, s)
    found: dict[str, tuple[str, str, str]] = {}
    out_dir = root / "hub" / "audio"
    out_dir.mkdir(parents=True, exist_ok=True)
    reader = _parquet_rows if kind == "parquet" else _wds_rows
    for shard, r in zip(shards, res):
        for key, data, ext in reader(root / r.path):
            seg = wanted.get(mirror_key(key))
            if seg is None or seg.clip_id in found:
                continue
            rel = f"hub/audio/{seg.clip_id}.{ext}"
            with atomic_open(root / rel, "wb") as fh:
                fh.write(data)
            found[seg.clip_id] = (shard, rel, hashlib.sha256(data).hexdigest())
    old = _read_hub_manifest(root / HUB_MANIFEST)
    rows = dict(old)
    for s in segments:
        got = found.get(s.clip_id)
        rows[s.clip_id] = dict(zip(HUB_COLUMNS, (s.clip_id, "ok" if got else "absent", repo, commit,
                                                 *(got or ("", "", "")))))
    with atomic_open(root / HUB_MANIFEST, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(HUB_COLUMNS) + "\n")
        for r in rows.values():
            fh.write("\t".join(r[c] for c in HUB_COLUMNS) + "\n")
    if not found and segments:
        raise DownloadError(f"Hub mirror {repo}@{commit[:12]}: none of the {len(segments)} clips of {split} is in "
                            f"its {len(shards)} shard(s); is it an AudioSet mirror of that split?")
    return {"repo": repo, "revision": commit, "kind": kind, "shards": shards, "ok": len(found),
            "absent": len(segments) - len(found)}
