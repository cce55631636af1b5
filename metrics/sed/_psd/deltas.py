"""Per-pass delta builders of :class:`avbench.metrics.sed._psd.accum.IntersectionAccumulator`.

Both take the detection tree of a pass (:class:`avbench.metrics.sed._psd.nodes.Nodes`) and return
sparse ``(class[, other class], score, delta)`` changes of the counts as the threshold falls.
"""

from __future__ import annotations

import numpy as np

from avbench.metrics.sed._psd.aggregate import aggregate, sort_by_key_score
from avbench.metrics.sed._psd.core import RefIndex, meets

__all__ = ["tp_entries", "tp_deltas", "ct_deltas"]

_NS = 1e9  # coverage sums are exact integers of nanoseconds


def tp_entries(nodes, pq: np.ndarray, pe: np.ndarray, pv: np.ndarray) -> tuple[np.ndarray, ...]:
    """The criterion-free part of :func:`tp_deltas`: each (node, reference event) overlap ``(pq, pe, pv)``
    as ``+ns`` at the node's birth and ``-ns`` at its death, sorted by event, then falling score.

    Returns ``(node, event, score, delta ns)`` ``[M]``; kept per pass so that another criterion set skips the sort.
    """
    v = np.rint(pv * _NS).astype(np.int64)
    live = nodes.death[pq] > -np.inf
    q = np.concatenate([pq, pq[live]])
    ev = np.concatenate([pe, pe[live]])
    sc = np.concatenate([nodes.birth[pq], nodes.death[pq][live]])
    dv = np.concatenate([v, -v[live]])
    order = sort_by_key_score(ev, sc, descending=True)  # ties (equal event and score): only sums are used
    return q[order], ev[order], sc[order], dv[order]


def tp_deltas(ref: RefIndex, entries: tuple[np.ndarray, ...], dtc_ok: np.ndarray, gtc: float, dec: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TP deltas: each reference event's coverage by the DTC nodes alive at ``t`` (exact ns sums).

    ``entries`` from :func:`tp_entries`; ``dtc_ok`` bool per node. Returns ``(class, score, delta)``.
    """
    q, ev, sc, dv = entries
    keep = dtc_ok[q]
    ev, sc, dv = ev[keep], sc[keep], dv[keep]
    if ev.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, np.zeros(0), z
    cum = np.cumsum(dv)
    grp_start = np.flatnonzero(np.r_[True, ev[1:] != ev[:-1]])
    base = np.repeat(cum[grp_start] - dv[grp_start], np.diff(np.r_[grp_start, ev.size]))
    cov = cum - base
    last = np.r_[(ev[1:] != ev[:-1]) | (sc[1:] != sc[:-1]), True]
    ev, sc, cov = ev[last], sc[last], cov[last]
    length = ref.off[ev] - ref.on[ev]
    ind = (meets(cov / _NS, gtc, length, dec) & (cov > 0)).astype(np.int64)
    prev = np.r_[0, ind[:-1]]
    prev[np.r_[True, ev[1:] != ev[:-1]]] = 0
    d = ind - prev
    nz = d != 0
    return ref.cls[ev[nz]], sc[nz], d[nz]


def ct_deltas(ref: RefIndex, nodes, bad, n_clip, n_cls, n_len, cttc: float, dec: int, floor: np.ndarray):
    """Cross-trigger deltas: per (node failing DTC, other class with reference in the clip) pair,
    the net change at the node's birth (its own flag minus its children's); a child whose parent
    meets DTC (and so has no pairs) emits its -1 at its death instead."""
    k = ref.k
    b = np.flatnonzero(bad)
    item, kk = ref.other_classes(n_clip[b], n_cls[b])
    q = b[item]
    inter, _ = ref.overlap(n_clip[q] * k + kk, nodes.onset[q], nodes.offset[q])
    hit = meets(inter, cttc, n_len[q], dec).astype(np.int64)
    first = np.full(bad.size, -1, dtype=np.int64)
    first[q[::-1]] = np.arange(q.size)[::-1]  # first pair of each node
    local = np.arange(q.size) - first[q]
    par = nodes.parent[q]
    par_pair = np.where(par >= 0, first[np.maximum(par, 0)], -1)
    linked = par_pair >= 0
    target = par_pair[linked] + local[linked]
    net = hit - np.bincount(target, weights=hit[linked], minlength=q.size).astype(np.int64)
    orphan = np.flatnonzero(~linked & (par >= 0) & (hit > 0))  # -1 at death, parent meets DTC
    nz = np.flatnonzero(net)
    cls = np.concatenate([n_cls[q[nz]], n_cls[q[orphan]]])
    oth = np.concatenate([kk[nz], kk[orphan]])
    sc = np.concatenate([nodes.birth[q[nz]], nodes.death[q[orphan]]])
    d = np.concatenate([net[nz], -np.ones(orphan.size, dtype=np.int64)])
    ok = sc > floor[cls]
    (cls, oth), sc, d = aggregate([cls[ok], oth[ok]], sc[ok], d[ok], radix=k)
    return cls, oth, sc, d
