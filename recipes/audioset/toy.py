"""A tiny AudioSet in the released on-disk layout, for contract tests and examples.

``meta/eval_segments.csv`` (5 segments) and ``meta/balanced_train_segments.csv`` (2) with the
three ``# `` comment lines and ``, `` separators; ``meta/audioset_eval_strong.tsv`` (strong events
of two eval clips, one ``NOT_PRESENT`` row in the framed file); a YouTube availability manifest
covering the availability states::

    clip                  labels                 manifest             has_audio  has_video
    --4gqARaEJE_0         4 (Dog among them)     ok, mode audio       True       None (not asked)
    --BfvyPmVMo_20000     /m/03l9g               removed              False      False
    toyAAAAAAA3_30000     Cat                    private              False      False
    toyAAAAAAA4_0         Speech                 error (rate limit)   None       None
    toyAAAAAAA5_10000     Dog                    (no row)             None       None

The ok clip's file is a 1-s 16 kHz silent WAV.

Example:
    >>> TOY_EVAL[0].split(", ")[0]
    '--4gqARaEJE'
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from avbench.io import atomic_write_text

__all__ = ["TOY_EVAL", "TOY_BALANCED", "write_toy", "segment_csv"]

TOY_EVAL = [
    '--4gqARaEJE, 0.000, 10.000, "/m/068hy,/m/07q6cd_,/m/0bt9lr,/m/0jbk"',
    '--BfvyPmVMo, 20.000, 30.000, "/m/03l9g"',
    'toyAAAAAAA3, 30.000, 40.000, "/m/01yrx"',
    'toyAAAAAAA4, 0.000, 10.000, "/m/09x0r"',
    'toyAAAAAAA5, 10.000, 20.000, "/m/0bt9lr"',
]
TOY_BALANCED = [
    'toyBBBBBBB1, 0.000, 10.000, "/m/09x0r,/m/05zppz"',
    'toyBBBBBBB2, 5.000, 15.000, "/m/04rlf"',
]
TOY_STRONG = [
    ("--4gqARaEJE_0", 1.0, 2.5, "/m/0bt9lr"),
    ("--4gqARaEJE_0", 4.25, 6.0, "/m/0bt9lr"),
    ("toyAAAAAAA4_0", 0.5, 9.5, "/m/09x0r"),
]


def segment_csv(rows: list[str], created: str = "Sun Mar  5 10:54:25 2017") -> str:
    """A segment list with the released header (counts computed from ``rows``)."""
    n_pos = sum(r.split('"')[1].count(",") + 1 for r in rows)
    n_labels = len({m for r in rows for m in r.split('"')[1].split(",")})
    return (f"# Segments csv created {created}\n"
            f"# num_ytids={len(rows)}, num_segs={len(rows)}, num_unique_labels={n_labels}, num_positive_labels={n_pos}\n"
            "# YTID, start_seconds, end_seconds, positive_labels\n" + "".join(r + "\n" for r in rows))


def write_toy(root: Path) -> None:
    """Write the toy dataset under ``root`` (see the module docstring)."""
    import soundfile as sf

    from avbench.download.manifest import ManifestRow, write_manifest

    atomic_write_text(root / "meta" / "eval_segments.csv", segment_csv(TOY_EVAL))
    atomic_write_text(root / "meta" / "balanced_train_segments.csv", segment_csv(TOY_BALANCED))
    head = "segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n"
    atomic_write_text(root / "meta" / "audioset_eval_strong.tsv",
                      head + "".join(f"{s}\t{a:.3f}\t{b:.3f}\t{m}\n" for s, a, b, m in TOY_STRONG))
    buf = io.BytesIO()
    sf.write(buf, np.zeros(16000, np.float32), 16000, format="WAV", subtype="PCM_16")
    data = buf.getvalue()
    (root / "youtube").mkdir(parents=True, exist_ok=True)
    (root / "youtube" / "--4gqARaEJE_0.wav").write_bytes(data)
    rows = [
        ManifestRow("--4gqARaEJE_0", "--4gqARaEJE", 0.0, 10.0, "audio", "ok", date="2026-01-01T00:00:00Z",
                    path="--4gqARaEJE_0.wav", sha256=hashlib.sha256(data).hexdigest(), size=len(data), duration=1.0,
                    has_audio=True),
        ManifestRow("--BfvyPmVMo_20000", "--BfvyPmVMo", 20.0, 30.0, "audio", "removed", reason="Video unavailable"),
        ManifestRow("toyAAAAAAA3_30000", "toyAAAAAAA3", 30.0, 40.0, "audio", "private", reason="Private video"),
        ManifestRow("toyAAAAAAA4_0", "toyAAAAAAA4", 0.0, 10.0, "audio", "error", reason="HTTP Error 429"),
    ]
    write_manifest(root / "youtube" / "youtube_manifest.tsv", rows)
