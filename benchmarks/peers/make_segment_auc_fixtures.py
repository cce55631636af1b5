"""Freeze sed_scores_eval 0.0.4 segment-based mAUC / mpAUC on generated score tables for avbench's tests.

Run with the peer venv that ``benchmarks/peers/differential.py --build /tmp/peers/venv`` makes, from the
repository root::

    /tmp/peers/venv/bin/python benchmarks/peers/make_segment_auc_fixtures.py

Writes ``tests/metrics/sed/data/sed_scores_eval/segment_auc.json``: the inputs of four
:func:`differential.segment_score_case` cases (partial last segments, tables past the duration, frame
hops that do not divide 1 s, quantised scores) and sed_scores_eval's ``segment_based.auroc`` values
(1 s segments; ``max_fpr=0.1`` and ``None``; class-wise and ``mean``), which avbench's
``segment_mpauc`` / ``segment_mauc`` under the ``sed_scores_eval`` profile must give to the bit; and
(``ties``) one :func:`differential.segment_tie_case` (long curves with equal FPRs) with sed_scores_eval's own
values and its values with a stable curve sort: avbench equals the latter to the bit and exceeds the former
(sed_scores_eval 0.0.4's unstable re-sort took a lower TPR at a tie when these values were frozen: numpy 1.26.4
on an AVX-512 machine).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "tests" / "metrics" / "sed" / "data" / "sed_scores_eval" / "segment_auc.json"


def main() -> None:
    sys.path.insert(0, str(HERE))
    import sed_scores_eval  # noqa: F401 - the peer: only importable in its own venv
    from differential import _peer_segment_auc, segment_score_case, segment_tie_case

    cases = []
    for seed in range(4):
        case = segment_score_case(np.random.default_rng(9100 + seed))
        cases.append({**case, "sed_scores_eval": _peer_segment_auc(case)})
    tie = segment_tie_case(np.random.default_rng(9502), np.random.default_rng(2))
    base = {"labels": tie["labels"], "replicate": 6,  # clips k_0 ... k_5 are copies: the file keeps k_0 only
            **{key: {k[:-2]: v for k, v in tie[key].items() if k.endswith("_0")} for key in ("reference", "durations",
                                                                                          "scores")}}
    ties = [{**base, "sed_scores_eval": _peer_segment_auc(tie), "stable_sort": _peer_segment_auc(tie, stable=True)}]
    meta = {"peer": "sed_scores_eval 0.0.4 (numpy 1.26.4, pandas 1.5.3)",
            "generator": "benchmarks/peers/make_segment_auc_fixtures.py",
            "call": "segment_based.auroc(scores, ground_truth, durations, segment_length=1.0, max_fpr=0.1 | None)[0]"}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"meta": meta, "cases": cases, "ties": ties}, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
