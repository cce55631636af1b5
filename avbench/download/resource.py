"""What a recipe asks the download engine for: resources and where their bytes come from.

A recipe never touches the network itself; it lists :class:`Resource` objects and the engine
(:mod:`avbench.download`) fetches, verifies, moves into place atomically and extracts them.

Example:
    >>> r = Resource("meta/meta.zip", ZenodoSource(4477542, "meta.zip"), size=235316,
    ...              md5="76e3d7ed5291b118372e06379cb2b490", part="meta", extract_to="meta")
    >>> r.source.kind
    'zenodo'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from avbench.errors import InputError

__all__ = [
    "Source",
    "HttpSource",
    "ZenodoSource",
    "GDriveSource",
    "HubSource",
    "Resource",
    "YouTubeClip",
]


@dataclass(frozen=True)
class Source:
    """Base of the places bytes come from; ``kind`` names the protocol."""

    kind: ClassVar[str] = "base"

    @property
    def mirror_path(self) -> str:
        """The path a mirror serves this file under (``--mirror BASE`` + this)."""
        raise NotImplementedError


@dataclass(frozen=True)
class HttpSource(Source):
    """A plain HTTP(S) URL, resumed with Range requests."""

    url: str
    kind: ClassVar[str] = "http"

    def __post_init__(self) -> None:
        if not re.match(r"^https?://", self.url):
            raise InputError(f"HTTP source must be an http(s) URL, got {self.url!r}")

    @property
    def mirror_path(self) -> str:
        return re.sub(r"^https?://", "", self.url)


@dataclass(frozen=True)
class ZenodoSource(Source):
    """A file of a Zenodo record, resolved through the records REST API.

    ``title`` (optional) is checked against the record's title, so a recipe pointing at the wrong
    record fails before any byte is fetched.
    """

    record: int
    filename: str
    title: str | None = None
    kind: ClassVar[str] = "zenodo"

    @property
    def mirror_path(self) -> str:
        return f"zenodo/{self.record}/{self.filename}"


@dataclass(frozen=True)
class GDriveSource(Source):
    """A Google Drive file by id (with the confirmation step for large files)."""

    file_id: str
    kind: ClassVar[str] = "gdrive"

    @property
    def mirror_path(self) -> str:
        return f"gdrive/{self.file_id}"


@dataclass(frozen=True)
class HubSource(Source):
    """A file of a Hugging Face Hub repository (``HF_ENDPOINT`` honoured)."""

    repo_id: str
    filename: str
    repo_type: str = "dataset"
    revision: str | None = None
    kind: ClassVar[str] = "hub"

    @property
    def mirror_path(self) -> str:
        return f"hub/{self.repo_id}/{self.filename}"


@dataclass(frozen=True)
class Resource:
    """One file a dataset needs.

    Args:
        path: destination relative to the dataset root (POSIX separators, no ``..``).
        source: where the bytes come from.
        size: expected size in bytes, when known.
        sha256, md5: expected digests, when known (sha256 preferred).
        part: which ``--parts`` selection it belongs to (``meta``, ``audio``, ``video``,
            ``features``...).
        extract_to: for archives, the directory (relative to the root) to extract into safely.
        volumes: for multi-volume zips (``x.z01``, ``x.z02``, ``x.zip``), the paths of the other
            volumes, which must be fetched before this one is extracted.
        splits: the splits this file serves (empty = all).
    """

    path: str
    source: Source
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    part: str = "meta"
    extract_to: str | None = None
    volumes: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        p = self.path
        if not p or p.startswith("/") or "\\" in p or ".." in p.split("/"):
            raise InputError(f"resource path must be relative without '..', got {p!r}")
        if self.sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise InputError(f"resource {p!r}: sha256 must be 64 lower-case hex digits")
        if self.md5 is not None and not re.fullmatch(r"[0-9a-f]{32}", self.md5):
            raise InputError(f"resource {p!r}: md5 must be 32 lower-case hex digits")
        if self.size is not None and self.size < 0:
            raise InputError(f"resource {p!r}: size must be >= 0")


@dataclass(frozen=True)
class YouTubeClip:
    """One YouTube section to fetch through yt-dlp.

    Args:
        clip_id: the dataset's clip id (the manifest key).
        video_id: the 11-character YouTube id.
        start, end: the section in seconds.
        mode: ``"audio"`` or ``"av"`` (audio and video).
    """

    clip_id: str
    video_id: str
    start: float = 0.0
    end: float = 10.0
    mode: str = "av"
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in ("audio", "av"):
            raise InputError(f"clip {self.clip_id!r}: mode must be 'audio' or 'av', got {self.mode!r}")
        if not self.start < self.end:
            raise InputError(f"clip {self.clip_id!r}: start {self.start} must be before end {self.end}")
