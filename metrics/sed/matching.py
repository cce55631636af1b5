"""Event matching for event-based SED metrics: collar tests and maximum bipartite matching.

A reference event ``r`` and a system event ``e`` of the same clip are *compatible* when (each
test only when enabled)::

    |onset_r - onset_e| <= collar                                   (onset condition)
    |offset_r - offset_e| <= max(collar, rate * (offset_r - onset_r)) (offset condition)

A *hit* is a compatible pair of the same class. True positives are a maximum-cardinality
matching of hits (sed_eval ``event_matching_type='optimal'``); the number is independent of which
maximum matching is taken, so TP (and P, R, F1) equal sed_eval's. Substitutions are compatible
pairs of different classes among the events left unmatched; avbench takes the maximum number of
them **among all maximum-TP matchings** (a lexicographic optimum, ``substitutions="maximum"``).

sed_eval 0.2.1 (``substitutions="sed_eval"``, set by the ``sed_eval`` profile) counts them another
way, reproduced here to the count: per clip it takes the one maximum matching that its Hopcroft-Karp
routine (``util.bipartite_match``) finds, with system events as the left side in order of their first
hit (reference events in input order, system events in input order within each) and reference events
as the right side in input order; then, for each unmatched reference event in input order, it takes the
first unmatched system event in input order that passes the collars and is not taken yet (one greedy
pass, no backtracking). That count can be lower, never higher: avbench ``S >= sed_eval S`` and
``ER <= sed_eval ER``, equal whenever no leftover event has two candidate partners. It depends on the
order the events were given in (:attr:`EventColumns.rank`).

Speed: all same-clip pairs are tested at once with numpy; only clips where some event has two or
more candidates are solved one by one (:func:`max_weight_assignment`, or
``scipy.optimize.linear_sum_assignment`` for a clip with more than 48 events on both sides).

Example:
    >>> from avbench.metrics.sed._columns import EventColumns
    >>> from avbench.model import Event
    >>> ref = EventColumns.from_events({"a": [Event(1.0, 2.0, "x"), Event(5.0, 6.0, "y")]}, ["a"], ["x", "y"])
    >>> est = EventColumns.from_events({"a": [Event(1.1, 2.1, "x"), Event(5.0, 6.0, "x")]}, ["a"], ["x", "y"])
    >>> tp, subs = match(ref, est, collar=0.2, rate=0.2)
    >>> tp.tolist(), subs
    ([1, 0], 1)

    sed_eval's greedy count: reference a[1, 2] and b[1.1, 2.1], system c[1.05, 2.05] then c[0.85, 1.85]:
    the first unmatched reference takes the first system event, which was the only partner of the second

    >>> ref = EventColumns.from_events({"k": [Event(1.0, 2.0, "a"), Event(1.1, 2.1, "b")]}, ["k"], ["a", "b", "c"])
    >>> est = EventColumns.from_events({"k": [Event(1.05, 2.05, "c"), Event(0.85, 1.85, "c")]}, ["k"], ["a", "b", "c"])
    >>> match(ref, est, collar=0.2, rate=0.2)[1], match(ref, est, collar=0.2, rate=0.2, substitutions="sed_eval")[1]
    (2, 1)
"""

from __future__ import annotations

import numpy as np

from avbench.errors import InputError
from avbench.metrics.sed._columns import EventColumns, sorted_unique, ticks

__all__ = ["match", "compatible_pairs", "SUBSTITUTIONS"]

SUBSTITUTIONS = ("maximum", "sed_eval")
"""Accepted values of ``substitutions`` (module docstring)."""


def compatible_pairs(
    ref: EventColumns,
    est: EventColumns,
    *,
    collar: float,
    rate: float,
    evaluate_onset: bool = True,
    evaluate_offset: bool = True,
    time_decimals: int | None = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """All same-clip (reference index, system index) pairs that pass the enabled collar tests.

    With ``time_decimals`` the tests run on exact integer ticks (the offset tolerance is
    ``max(collar, floor(rate * length))`` in ticks, a 1e-6-tick guard absorbing the float error of
    the product); with ``None`` they run on raw floats exactly as sed_eval does.
    """
    n_clips = len(ref.clips)
    eb = est.bounds()
    ne = np.diff(eb)
    cnt = ne[ref.clip] if ref.clip.size else np.zeros(0, dtype=np.int64)
    total = int(cnt.sum())
    if total == 0 or n_clips == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ri = np.repeat(np.arange(ref.clip.size, dtype=np.int64), cnt)
    ej = np.repeat(eb[:-1][ref.clip], cnt) + (np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    ok = np.ones(total, dtype=bool)
    if time_decimals is None:
        if evaluate_onset:
            ok &= np.abs(ref.onset[ri] - est.onset[ej]) <= collar
        if evaluate_offset:
            tol = np.maximum(collar, rate * (ref.offset - ref.onset))
            ok &= np.abs(ref.offset[ri] - est.offset[ej]) <= tol[ri]
    else:
        r_on, r_off, e_on, e_off = (ticks(a, time_decimals) for a in (ref.onset, ref.offset, est.onset, est.offset))
        c = float(ticks(np.array([collar]), time_decimals)[0])
        if evaluate_onset:
            ok &= np.abs(r_on[ri] - e_on[ej]) <= c
        if evaluate_offset:
            tol = np.maximum(c, np.floor(rate * (r_off - r_on) + 1e-6))
            ok &= np.abs(r_off[ri] - e_off[ej]) <= tol[ri]
    return ri[ok], ej[ok]


def _unique_degree(a: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(a, minlength=n)[a] > 1


def match(
    ref: EventColumns,
    est: EventColumns,
    *,
    collar: float,
    rate: float,
    evaluate_onset: bool = True,
    evaluate_offset: bool = True,
    time_decimals: int | None = 6,
    substitutions: str = "maximum",
) -> tuple[np.ndarray, int]:
    """True positives per class (int64 ``[C]``) and the total substitutions (module docstring).

    Raises:
        InputError: ``substitutions`` is not one of :data:`SUBSTITUTIONS`.
    """
    if substitutions not in SUBSTITUTIONS:
        raise InputError(f"substitutions must be one of {', '.join(SUBSTITUTIONS)}, got {substitutions!r}")
    n_cls = len(ref.labels)
    nr, ne = ref.clip.size, est.clip.size
    pi, pj = compatible_pairs(
        ref, est, collar=collar, rate=rate, evaluate_onset=evaluate_onset, evaluate_offset=evaluate_offset,
        time_decimals=time_decimals,
    )
    same = ref.cls[pi] == est.cls[pj]
    hi, hj = pi[same], pj[same]
    hard = np.zeros(len(ref.clips), dtype=bool)
    amb = _unique_degree(hi, nr) | _unique_degree(hj, ne)
    hard[ref.clip[hi[amb]]] = True
    # Leftover cross-class pairs, valid where the hit matching is unique (all hit degrees <= 1).
    matched_r = np.zeros(nr, dtype=bool)
    matched_e = np.zeros(ne, dtype=bool)
    matched_r[hi] = True
    matched_e[hj] = True
    cross = ~same & ~matched_r[pi] & ~matched_e[pj]
    ci, cj = pi[cross], pj[cross]
    amb_c = _unique_degree(ci, nr) | _unique_degree(cj, ne)
    hard[ref.clip[ci[amb_c]]] = True
    easy_h = ~hard[ref.clip[hi]]
    tp = np.bincount(ref.cls[hi[easy_h]], minlength=n_cls).astype(np.int64)
    subs = int((~hard[ref.clip[ci]]).sum())
    if hard.any():
        rb, eb = ref.bounds(), est.bounds()
        in_hard = hard[ref.clip[pi]]
        for clip in np.flatnonzero(hard):
            sel = in_hard & (ref.clip[pi] == clip)
            t, s = _solve_clip(pi[sel] - rb[clip], pj[sel] - eb[clip], same[sel],
                               int(rb[clip + 1] - rb[clip]), int(eb[clip + 1] - eb[clip]),
                               ref.cls[rb[clip]:rb[clip + 1]], n_cls)
            tp += t
            subs += s
    if substitutions == "sed_eval":
        subs = _sed_eval_substitutions(ref, est, pi, pj, same)
    return tp, subs


def _solve_clip(
    i: np.ndarray, j: np.ndarray, same: np.ndarray, nr: int, ne: int, ref_cls: np.ndarray, n_cls: int
) -> tuple[np.ndarray, int]:
    """Lexicographic optimum on one clip: maximum hits, then maximum cross-class substitutions."""
    big = float(min(nr, ne) + 1)
    w = np.zeros((nr, ne))
    w[i, j] = np.where(same, big, 1.0)
    if min(nr, ne) <= _SMALL:
        rows, cols = max_weight_assignment(w)
    else:
        from scipy.optimize import linear_sum_assignment  # imported only for a crowded clip (0.2-0.5 s)

        rows, cols = linear_sum_assignment(w, maximize=True)
    chosen = w[rows, cols]
    hit_rows = rows[chosen == big]
    tp = np.bincount(ref_cls[hit_rows], minlength=n_cls).astype(np.int64)
    return tp, int((chosen == 1.0).sum())


def _sed_eval_substitutions(ref: EventColumns, est: EventColumns, pi: np.ndarray, pj: np.ndarray,
                            same: np.ndarray) -> int:
    """sed_eval 0.2.1's substitution count (module docstring), summed over the clips that can have one.

    ``pi, pj`` are the compatible pairs (global sorted indices), ``same`` marks the same-class ones;
    only clips with a compatible cross-class pair can count a substitution.
    """
    if ref.rank is None or est.rank is None:
        raise InputError("sed_eval substitutions need the events' input order (EventColumns.rank)")
    clip_of = ref.clip[pi]
    total = 0
    for clip in sorted_unique(clip_of[~same]):
        sel = clip_of == clip
        ri, ej, hit = ref.rank[pi[sel]], est.rank[pj[sel]], same[sel]
        neighbours: dict[int, list[int]] = {}  # system event -> its hit reference events, in sed_eval's order
        for r, e in sorted(zip(ri[hit].tolist(), ej[hit].tolist())):
            neighbours.setdefault(e, []).append(r)
        matched = _layered_matching(neighbours)
        matched_sys = set(matched.values())
        partners: dict[int, list[int]] = {}
        for r, e in sorted(zip(ri[~hit].tolist(), ej[~hit].tolist())):
            if r not in matched and e not in matched_sys:
                partners.setdefault(r, []).append(e)
        taken: set[int] = set()
        for r in sorted(partners):
            e = next((x for x in partners[r] if x not in taken), None)
            if e is not None:
                taken.add(e)
        total += len(taken)
    return total


def _layered_matching(neighbours: dict[int, list[int]]) -> dict[int, int]:
    """The maximum matching that sed_eval 0.2.1's Hopcroft-Karp routine returns, as ``{right: left}``.

    ``neighbours`` maps each left vertex to its right vertices; the iteration orders of the dict and
    of the lists decide which of several maximum matchings comes out, as in sed_eval:

    1. a first-fit pass: each left vertex, in order, takes its first right vertex not yet taken;
    2. phases until no augmenting path is left: a breadth-first layering from the free left vertices
       (in order; a right vertex joins the first layer that reaches it and remembers every left vertex
       of that layer that reached it, in order; a matched right vertex leads on to its partner), which
       stops at the first layer holding free right vertices; then, for each free right vertex of that
       layer in order, a depth-first search back through the remembered left vertices, each vertex used
       at most once per phase, flipping the first path that ends at a free left vertex.

    Example:
        >>> _layered_matching({0: [0, 1], 1: [0]})  # first fit gives 0-0, the one phase moves it to 0-1
        {0: 1, 1: 0}
    """
    mate: dict[int, int] = {}
    for left, rights in neighbours.items():
        free = next((r for r in rights if r not in mate), None)
        if free is not None:
            mate[free] = left
    while True:
        matched_left = set(mate.values())
        came_from: dict[int, int | None] = {u: None for u in neighbours if u not in matched_left}
        reached_by: dict[int, list[int]] = {}
        frontier = list(came_from)
        ends: list[int] = []
        while frontier and not ends:
            layer: dict[int, list[int]] = {}
            for u in frontier:
                for r in neighbours[u]:
                    if r not in reached_by:
                        layer.setdefault(r, []).append(u)
            frontier = []
            for r, us in layer.items():
                reached_by[r] = us
                if r in mate:
                    frontier.append(mate[r])
                    came_from[mate[r]] = r
                else:
                    ends.append(r)
        if not ends:
            return mate

        def augment(r: int) -> bool:
            for u in reached_by.pop(r, ()):
                if u in came_from:
                    back = came_from.pop(u)
                    if back is None or augment(back):
                        mate[r] = u
                        return True
            return False

        for r in ends:
            augment(r)


_SMALL = 48  # clips with at most this many events on the smaller side use max_weight_assignment


def max_weight_assignment(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A maximum-weight assignment of the rows of ``w`` to distinct columns (or of its columns, if fewer).

    The Hungarian method with potentials (``O(n^2 m)``, ``n = min`` side) in plain Python, for the
    small matrices of one clip: it spares the import of ``scipy.optimize`` (a third of a second at
    start-up). Exact for integer weights (all sums are exact in floats). Which of several optimal
    assignments it returns may differ from ``scipy.optimize.linear_sum_assignment``; the event
    metrics depend only on the optimum (hits per class and substitutions, module docstring).

    Returns:
        ``(rows, cols)`` sorted by row, as ``linear_sum_assignment(w, maximize=True)``.

    Example:
        >>> r, c = max_weight_assignment(np.array([[3.0, 1.0], [3.0, 0.0], [1.0, 1.0]]))
        >>> r.tolist(), c.tolist()
        ([0, 1], [1, 0])
    """
    flip = w.shape[0] > w.shape[1]
    cost = (-(w.T if flip else w)).tolist()
    n, m = len(cost), len(cost[0]) if cost else 0
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)  # owner[j]: row (1-based) holding column j
    for i in range(1, n + 1):
        owner[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], inf, 0
            row, ui = cost[i0 - 1], u[i0]
            for j in range(1, m + 1):
                if not used[j]:
                    cur = row[j - 1] - ui - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    pairs = sorted((owner[j] - 1, j - 1) for j in range(1, m + 1) if owner[j])
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    if flip:
        order = np.argsort(b, kind="stable")
        a, b = b[order], a[order]
    return a, b
