"""avbench.io: atomic writes leave the old file or the new one, never a part, and no stray temporary file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from avbench.io import atomic_open, new_temp, read_json, write_json


def test_an_atomic_write_replaces_the_file_with_plain_permissions(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    write_json(out, {"a": 1})
    old = os.umask(0o022)
    try:
        write_json(out, {"a": 2})
    finally:
        os.umask(old)
    assert read_json(out) == {"a": 2}
    assert out.stat().st_mode & 0o777 == 0o644  # as open() gives, not mkstemp's 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    write_json(out, {"a": 1})
    with pytest.raises(RuntimeError), atomic_open(out) as fh:
        fh.write('{"half": ')
        raise RuntimeError("interrupted")
    assert read_json(out) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_temporary_name_is_never_an_existing_file_or_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere"
    taken = iter([b"\x00" * 6, b"\x00" * 6, b"\x01" * 6])  # the first name is taken (by a link), then a free one
    monkeypatch.setattr(os, "urandom", lambda n: next(taken))
    (tmp_path / f".x.{'00' * 6}.tmp").symlink_to(target)
    fd, path = new_temp(tmp_path, ".x.")
    os.close(fd)
    assert Path(path).name == f".x.{'01' * 6}.tmp" and not target.exists()
