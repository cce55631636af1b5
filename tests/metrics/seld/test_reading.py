"""SELD CSV reading: the fast columnar path gives exactly what the checked per-line path gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.seld import io as seld_io


def _table(path: Path, **kw) -> dict[str, np.ndarray]:
    t = seld_io.read_csv(path, n_classes=13, **kw)
    return {c: getattr(t, c) for c in ("frame", "cls", "track", "azimuth", "elevation", "distance")}


def test_fast_reader_equals_checked_reader_bit_for_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = []
    for k in range(400):
        az = rng.uniform(-180, 180)
        fmt = ("{:.0f}", "{:.1f}", "{:.4f}", "{:.12f}", "{!r}")[k % 5]
        az_s = fmt.format(az) if fmt != "{!r}" else repr(float(az))
        rows.append(f"{k},{k % 13},{k % 3},{az_s},{rng.uniform(-89, 89):.3f},{rng.uniform(0.1, 5):.6f}")
    rows[7] = "7,1,0,-0,0,1.5"  # negative zero survives both paths
    rows[8] = "8,1,0,1e1,-2.5e-1,1E0"  # exponent notation
    text = "\r\n".join(rows) + "\r\n"
    fast, checked = tmp_path / "fast.csv", tmp_path / "checked.csv"
    fast.write_text(text)
    checked.write_text(text.replace("\r\n", "\r\n\r\n", 1))  # a blank line: only the checked path reads it
    assert seld_io._fast_numeric(fast.read_text(), 13) is not None
    assert seld_io._fast_numeric(checked.read_text(), 13) is None
    a, b = _table(fast, layout="polar"), _table(checked, layout="polar")
    for col in a:
        assert a[col].dtype == b[col].dtype and np.array_equal(a[col], b[col]), col
        assert np.array_equal(np.signbit(a[col]), np.signbit(b[col])), col
    assert a["azimuth"][7] == 0.0 and np.signbit(a["azimuth"][7]) and a["azimuth"][8] == 10.0


def test_integer_reader_equals_loadtxt_and_declines_everything_else(tmp_path: Path) -> None:
    """Integer reference files take numpy's integer reader; its values equal loadtxt's, and any text it
    might read differently (negative zero, a lone '-', ragged rows, empty fields) goes the general way."""
    import io

    rng = np.random.default_rng(11)
    grid = rng.integers(-400, 4000, size=(300, 6))
    grid[:, 0] = np.arange(300)
    grid[:, 1] = rng.integers(0, 13, 300)
    body = "\n".join(",".join(str(v) for v in row) for row in grid)
    got = seld_io._integers(body, 300)
    want = np.loadtxt(io.StringIO(body), dtype=float, delimiter=",", ndmin=2)
    assert got is not None and got.dtype == want.dtype and np.array_equal(got, want)
    for text in ("1,-0,3", "1,-00,3", "1,-,3", "1,2-,3", "1,--2,3", "1,2,-", "1,,3", "1,2,3\n4,5", "1,2\n3,4,5",
                 "1,2.5,3", "1,2e3,3", "1, 2,3", "1,+2,3", "1,2,3\r\n4,5,6", "1,12345678901234567,3"):
        assert seld_io._integers(text, text.count("\n") + 1) is None, text
    p = tmp_path / "negzero.csv"
    p.write_text("0,1,0,-0,10\n1,1,0,30,-0\n")
    t = seld_io.read_csv(p, n_classes=13, layout="polar")
    assert np.signbit(t.azimuth[0]) and np.signbit(t.elevation[1])  # as loadtxt reads them
    p.write_text("0,1,0,-,10\n")
    with pytest.raises(InputError, match="line 1: column 4 value '-' is not a number"):
        seld_io.read_csv(p, n_classes=13, layout="polar")
