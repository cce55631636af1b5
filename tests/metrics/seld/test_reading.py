"""SELD CSV reading: the fast columnar path gives exactly what the checked per-line path gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
