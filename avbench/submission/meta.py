"""The system description every submission carries, and its schema check.

A ``system.yaml`` (or JSON) given to ``avbench submit --meta`` holds::

    system_name: Reference CRNN            # non-empty, at most 100 characters
    authors:                               # at least one; exactly one has corresponding: true
      - {name: Ada Lovelace, email: ada@example.org, affiliation: Analytical Inst, corresponding: true}
      - {name: Charles Babbage, affiliation: Analytical Inst}
    contact: ada@example.org               # an e-mail address
    description: CRNN on log-mel features, trained on synth/train.
    code_url: https://example.org/code     # http(s) URL, or null when the code is not public
    training_data: [synth/train]           # data sets (and splits) the system was trained on
    external_data: []                      # anything else used (pre-trained models, other sets)
    parameters: 1200000                    # number of trainable parameters (integer >= 0)

An optional ``dcase`` mapping holds what only a DCASE package needs (``abbreviation`` and the
``system.description`` fields, see :mod:`avbench.submission.dcase`).

``avbench submit`` adds ``avbench_version`` and ``predictions_sha256`` (the SHA-256 of the
predictions file's bytes); a description that already has them must agree. Unknown fields are
refused, so a typo never passes silently.

Example:
    >>> meta = {"system_name": "s", "authors": [{"name": "A B", "email": "a@b.org", "corresponding": True}],
    ...         "contact": "a@b.org", "description": "d", "code_url": None, "training_data": ["synth/train"],
    ...         "external_data": [], "parameters": 10}
    >>> sorted(check_meta(meta, source="system.yaml", partial=True))[:3]
    ['authors', 'code_url', 'contact']
    >>> check_meta({**meta, "parameters": -1}, source="system.yaml", partial=True)
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: system.yaml: field 'parameters' must be an integer >= 0 (the number of trainable parameters), got -1
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from avbench.errors import InputError
from avbench.io import read_text

__all__ = ["check_meta", "read_meta", "REQUIRED", "GENERATED", "OPTIONAL"]

REQUIRED = ("system_name", "authors", "contact", "description", "code_url", "training_data", "external_data",
            "parameters")
GENERATED = ("avbench_version", "predictions_sha256")
OPTIONAL = ("dcase",)
_AUTHOR_KEYS = {"name", "email", "affiliation", "corresponding"}
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_meta(path: str | Path) -> dict[str, Any]:
    """Read a system description (YAML, or JSON, which is YAML) and check it with :func:`check_meta`."""
    yaml = _yaml()
    text = read_text(path)
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: malformed YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    return check_meta(obj, source=str(path), partial=True)


def _yaml() -> Any:
    from avbench.extras import require

    return require("yaml", "core")


def _text(source: str, key: str, value: Any, *, limit: int = 10_000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{source}: field {key!r} must be a non-empty string, got {value!r}")
    if len(value) > limit:
        raise InputError(f"{source}: field {key!r} is longer than {limit} characters")
    return value.strip()


def _text_list(source: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{source}: field {key!r} must be a list of non-empty strings (may be empty: []), "
                         f"got {value!r}")
    if len(value) > 100:
        raise InputError(f"{source}: field {key!r} has more than 100 entries")
    return [_text(source, key, v, limit=500) for v in value]


def _authors(source: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{source}: field 'authors' must be a non-empty list of {{name, email, affiliation, "
                         "corresponding}}")
    if len(value) > 100:
        raise InputError(f"{source}: field 'authors' has more than 100 entries")
    out = []
    for i, author in enumerate(value):
        where = f"authors[{i}]"
        if not isinstance(author, dict):
            raise InputError(f"{source}: {where} must be an object with 'name' (and email, affiliation, corresponding)")
        extra = set(author) - _AUTHOR_KEYS
        if extra:
            raise InputError(f"{source}: {where} has unknown field(s) {sorted(extra)}; allowed: {sorted(_AUTHOR_KEYS)}")
        entry: dict[str, Any] = {"name": _text(source, f"{where}.name", author.get("name"), limit=200)}
        if author.get("email") is not None:
            entry["email"] = _email(source, f"{where}.email", author["email"])
        if author.get("affiliation") is not None:
            entry["affiliation"] = _text(source, f"{where}.affiliation", author["affiliation"], limit=300)
        corresponding = author.get("corresponding", False)
        if not isinstance(corresponding, bool):
            raise InputError(f"{source}: {where}.corresponding must be true or false, got {corresponding!r}")
        entry["corresponding"] = corresponding
        out.append(entry)
    corresponding_authors = [a for a in out if a["corresponding"]]
    if len(corresponding_authors) != 1:
        raise InputError(f"{source}: exactly one author must have 'corresponding: true', found "
                         f"{len(corresponding_authors)}")
    if "email" not in corresponding_authors[0]:
        raise InputError(f"{source}: the corresponding author {corresponding_authors[0]['name']!r} needs an 'email'")
    return out


def _dcase(source: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InputError(f"{source}: field 'dcase' must be a mapping (abbreviation and the DCASE system.description "
                         "fields)")
    for key, v in value.items():
        if not isinstance(v, (str, int, float, bool, list)) or isinstance(v, list) and \
                not all(isinstance(x, (str, int, float)) for x in v):
            raise InputError(f"{source}: dcase.{key} must be a string, a number or a list of them, got {v!r}")
    return dict(value)


def _email(source: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise InputError(f"{source}: field {key!r} must be an e-mail address, got {value!r}")
    return value.strip()


def check_meta(obj: Any, *, source: str, partial: bool = False) -> dict[str, Any]:
    """Check a system description and return it normalised (strings stripped, defaults filled).

    Args:
        obj: the parsed description.
        source: the file name used in error messages.
        partial: allow ``avbench_version`` / ``predictions_sha256`` to be absent (before
            ``avbench submit`` fills them in).

    Raises:
        InputError: a missing, unknown or malformed field (the message names it).
    """
    if not isinstance(obj, dict):
        raise InputError(f"{source}: the system description must be a mapping of fields "
                         f"({', '.join(REQUIRED)}), got {type(obj).__name__}")
    extra = set(obj) - set(REQUIRED) - set(GENERATED) - set(OPTIONAL)
    if extra:
        raise InputError(f"{source}: unknown field(s) {sorted(extra)}; the fields are "
                         f"{', '.join(REQUIRED + GENERATED + OPTIONAL)}")
    for key in REQUIRED + (() if partial else GENERATED):
        if key not in obj:
            raise InputError(f"{source}: missing field {key!r} (see `avbench submit --help` for the fields)")
    out: dict[str, Any] = {
        "system_name": _text(source, "system_name", obj["system_name"], limit=100),
        "authors": _authors(source, obj["authors"]),
        "contact": _email(source, "contact", obj["contact"]),
        "description": _text(source, "description", obj["description"]),
        "code_url": None,
        "training_data": _text_list(source, "training_data", obj["training_data"]),
        "external_data": _text_list(source, "external_data", obj["external_data"]),
    }
    url = obj["code_url"]
    if url is not None:
        if not isinstance(url, str) or not _URL.match(url.strip()):
            raise InputError(f"{source}: field 'code_url' must be an http(s) URL or null, got {url!r}")
        out["code_url"] = url.strip()
    params = obj["parameters"]
    if isinstance(params, bool) or not isinstance(params, int) or params < 0:
        raise InputError(f"{source}: field 'parameters' must be an integer >= 0 (the number of trainable "
                         f"parameters), got {params!r}")
    out["parameters"] = params
    if "dcase" in obj:
        out["dcase"] = _dcase(source, obj["dcase"])
    if "avbench_version" in obj:
        out["avbench_version"] = _text(source, "avbench_version", obj["avbench_version"], limit=50)
    if "predictions_sha256" in obj:
        sha = obj["predictions_sha256"]
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise InputError(f"{source}: field 'predictions_sha256' must be 64 lower-case hex digits, got {sha!r}")
        out["predictions_sha256"] = sha
    return out
