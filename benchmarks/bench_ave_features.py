"""AVE feature mode vs h5py: iterate the whole train split (3,339 clips) of full-size feature files.

Writes ``data/visual_feature.h5`` at the released shape ``[4143, 10, 7, 7, 512]`` (float32, 4.2 GB,
contiguous, chunk by chunk) and ``data/audio_feature.h5`` ``[4143, 10, 128]`` under a temporary
directory (``--tmp``, default /tmp), with the AVE annotation and split files (the real ones from
``../shared/reference/ave`` when present, else synthetic rows with the same split sizes), then
times, each in a fresh process:

- ``avbench``: ``for item in AveFeatures(root, "train")`` (memory-mapped views);
- ``h5py``: the same rows read with ``dset[row]`` from the two open h5py datasets;
- ``avbench-keep`` (for information): ``AveFeatures(root, "train", release=False)``, which keeps the
  pages it touched mapped: its resident memory grows with the data read (the kernel can still
  reclaim them, but RSS-based limits see them).

Both consume each item the same way (sum of the audio and visual arrays, so every byte is read).
Reported: seconds per pass (best of ``--repeat``, warm page cache), the speed ratio avbench/h5py
(>= 0.8 is the target) and each process's peak resident memory (target < 1 GB for avbench). The
files are deleted at the end.

Run: ``.venv/bin/python benchmarks/bench_ave_features.py [--repeat 3] [--tmp /tmp]``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_ROWS, SHAPE_V, SHAPE_A = 4143, (10, 7, 7, 512), (10, 128)
REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ave"


def _write_meta(root: Path) -> str:
    base = root / "AVE_Dataset"
    base.mkdir(parents=True)
    src = REF / "haoyi-duan_DG-SCT" / "data" / "AVE"
    if (src / "Annotations.txt").is_file():
        for name in ("Annotations.txt", "trainSet.txt", "valSet.txt", "testSet.txt"):
            shutil.copyfile(src / name, base / name)
        return "real annotation and split files"
    rng = np.random.default_rng(0)
    rows = [f"Bark&synth{i:06d}&good&0&10" for i in range(N_ROWS)]
    perm = rng.permutation(N_ROWS)
    (base / "Annotations.txt").write_text("Category&VideoID&Quality&StartTime&EndTime\n" + "\n".join(rows) + "\n")
    for name, sel in (("trainSet.txt", perm[:3339]), ("valSet.txt", perm[3339:3741]), ("testSet.txt", perm[3741:])):
        (base / name).write_text("".join(rows[i] + "\n" for i in sel))
    return "synthetic rows (no ../shared/reference/ave)"


def _write_features(root: Path) -> None:
    import h5py

    (root / "data").mkdir()
    rng = np.random.default_rng(1)
    for name, tail in (("audio_feature.h5", SHAPE_A), ("visual_feature.h5", SHAPE_V)):
        with h5py.File(root / "data" / name, "w") as fh:
            d = fh.create_dataset("avadataset", shape=(N_ROWS, *tail), dtype=np.float32)  # contiguous
            for a in range(0, N_ROWS, 64):
                b = min(N_ROWS, a + 64)
                d[a:b] = rng.standard_normal((b - a, *tail), dtype=np.float32)


def _child(method: str, root: Path) -> None:
    from avbench.recipes.ave.features import AveFeatures

    feats = AveFeatures(root, "train", release=method != "avbench-keep")
    rows = feats.rows.tolist()
    t0 = time.perf_counter()
    total = 0.0
    if method in ("avbench", "avbench-keep"):
        for item in feats:
            total += float(item.audio.sum()) + float(item.visual.sum())
    else:
        import h5py

        with h5py.File(root / "data" / "audio_feature.h5", "r") as fa, \
                h5py.File(root / "data" / "visual_feature.h5", "r") as fv:
            da, dv = fa["avadataset"], fv["avadataset"]
            for r in rows:
                total += float(da[r].sum()) + float(dv[r].sum())
    dt = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"method": method, "seconds": dt, "clips": len(rows), "peak_rss_mb": peak_kb / 1024,
                      "checksum": round(total, 1)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tmp", default="/tmp")
    ap.add_argument("--child", choices=("avbench", "h5py", "avbench-keep"))
    ap.add_argument("--root")
    args = ap.parse_args()
    if args.child:
        _child(args.child, Path(args.root))
        return
    need = N_ROWS * int(np.prod(SHAPE_V)) * 4 * 1.1
    free = shutil.disk_usage(args.tmp).free
    if free < need:
        sys.exit(f"not enough space in {args.tmp}: {free / 1e9:.1f} GB free, {need / 1e9:.1f} GB needed")
    root = Path(tempfile.mkdtemp(prefix="avbench_bench_ave_", dir=args.tmp))
    try:
        meta = _write_meta(root)
        t0 = time.perf_counter()
        _write_features(root)
        print(f"wrote {sum(p.stat().st_size for p in (root / 'data').iterdir()) / 1e9:.2f} GB of features "
              f"in {time.perf_counter() - t0:.1f} s ({meta})")
        results: dict[str, list[dict]] = {"avbench": [], "h5py": [], "avbench-keep": []}
        for i in range(args.repeat):
            for method in ("h5py", "avbench") + (("avbench-keep",) if i == 0 else ()):
                out = subprocess.run([sys.executable, __file__, "--child", method, "--root", str(root)],
                                     check=True, capture_output=True, text=True).stdout
                results[method].append(json.loads(out.strip().splitlines()[-1]))
        best = {m: min(r["seconds"] for r in rs) for m, rs in results.items()}
        rss = {m: max(r["peak_rss_mb"] for r in rs) for m, rs in results.items()}
        if len({r["checksum"] for rs in results.values() for r in rs}) != 1:
            sys.exit("the two readers disagree on the data: " + json.dumps(results))
        clips = results["avbench"][0]["clips"]
        for m in ("h5py", "avbench", "avbench-keep"):
            print(f"{m:12s} {best[m]:7.3f} s per pass ({clips / best[m]:7.0f} clips/s, "
                  f"{clips * 4 * (np.prod(SHAPE_V) + np.prod(SHAPE_A)) / best[m] / 1e9:5.2f} GB/s), "
                  f"peak RSS {rss[m]:6.0f} MB; all passes: {[round(r['seconds'], 3) for r in results[m]]}")
        ratio = best["h5py"] / best["avbench"]
        print(f"speed ratio avbench/h5py = {ratio:.2f} (target >= 0.80); avbench peak RSS {rss['avbench']:.0f} MB "
              f"(target < 1024 MB)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
