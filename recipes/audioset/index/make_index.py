"""Write the packaged AudioSet index from the released metadata files.

Usage (from the repo root)::

    .venv/bin/python recipes/audioset/index/make_index.py ../shared/reference/audioset

Reads ``class_labels_indices.csv``, ``eval_segments.csv``, ``balanced_train_segments.csv``,
``mid_to_display_name.tsv`` (under ``bakhtos_GoogleAudioSetReformatted/src``) and
``audioset_ontology/ontology.json``, parses them with the recipe's own parsers (which refuse
Excel-mangled copies and check the header counts), and writes, beside this script:

- ``classes.tsv``: ``index<TAB>mid<TAB>display_name`` of the 527 classes, then the strong-label
  vocabulary (456 rows) after a ``# strong`` line;
- ``segments.tsv.gz``: ``split<TAB>YTID<TAB>start_ms<TAB>end_ms<TAB>class indices (comma list)`` for
  the eval and balanced-train lists (gzip, mtime 0 so the bytes are reproducible);
- ``ontology.json.gz``: ``[[mid, name, [child mids], [restrictions]], ...]`` (632 entries; the
  descriptions and examples are left out);
- ``files.json`` is hand-written (hosts, sizes, digests) and not touched here.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(ref: Path) -> None:
    from avbench.recipes.audioset.metadata import (
        parse_class_labels,
        parse_mid_to_display_name,
        parse_ontology,
        parse_segments,
    )

    src = ref / "bakhtos_GoogleAudioSetReformatted" / "src"
    classes = parse_class_labels((src / "class_labels_indices.csv").read_text(encoding="utf-8"),
                                 source="class_labels_indices.csv")
    strong = parse_mid_to_display_name((src / "mid_to_display_name.tsv").read_text(encoding="utf-8"),
                                       source="mid_to_display_name.tsv")
    lines = [f"{i}\t{mid}\t{name}" for i, (mid, name) in enumerate(classes)]
    lines += ["# strong"] + [f"{mid}\t{name}" for mid, name in strong]
    (HERE / "classes.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = {mid: i for i, (mid, _) in enumerate(classes)}
    buf = io.StringIO()
    for split in ("eval", "balanced_train"):
        segs = parse_segments((src / f"{split}_segments.csv").read_text(encoding="utf-8"),
                              source=f"{split}_segments.csv")
        for s in segs:
            idx = ",".join(str(index[m]) for m in s.labels)
            buf.write(f"{split}\t{s.ytid}\t{s.start_ms}\t{s.end_ms}\t{idx}\n")
    with open(HERE / "segments.tsv.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    onto = parse_ontology((ref / "audioset_ontology" / "ontology.json").read_text(encoding="utf-8"),
                          source="ontology.json")
    blob = json.dumps([[n.mid, n.name, list(n.children), list(n.restrictions)] for n in onto.values()],
                      separators=(",", ":"), ensure_ascii=False)
    with open(HERE / "ontology.json.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(blob.encode("utf-8"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
