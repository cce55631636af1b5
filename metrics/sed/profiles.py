"""Reference profiles of the SED metrics: ``-o profile=NAME`` sets the parameters that reproduce a tool.

A profile is a set of parameter values per metric id; ``avbench evaluate -o profile=psds_eval`` applies
them to every requested metric that has those parameters (explicit ``-o KEY=VALUE`` options win), and
the report records the profile (``header["profile"]`` and each result's ``params``). Under the default
profile (``avbench``), each result whose metric has a reference tool is also computed with that tool's
profile; when the values differ, ``extra["reference_profile"]`` holds the tool's values and a flag
names the deviation, so the difference is visible without a second run
(:func:`reference_profile_of`).

What each profile reproduces, and what it does not, is in :data:`PROFILES` (``avbench info METRIC``
lists it). The differential script ``benchmarks/peers/differential.py`` runs the real tools on
generated hostile cases and asserts equality per profile.

Example:
    >>> profile_params("psds_eval", "psds1", {"time_decimals", "no_reference_class", "dtc"})
    {'time_decimals': None, 'no_reference_class': 'drop'}
    >>> reference_profile_of("event_f1"), reference_profile_of("psds1"), reference_profile_of("psds1", "scores")
    ('sed_eval', 'psds_eval', 'sed_scores_eval')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from avbench.errors import InputError

__all__ = ["Profile", "PROFILES", "profile_params", "reference_profile_of", "profiles_for", "tool_of"]


@dataclass(frozen=True)
class Profile:
    """One reference profile.

    Attributes:
        tool: the tool and version it reproduces (and where that version was read).
        params: ``{metric id or family prefix: {parameter: value}}``; a key ending in ``*`` matches
            every metric id with that prefix.
        reproduces: what is bit for bit equal to the tool.
        not_reproduced: what still differs (stated, never hidden).
        tools: for a DCASE-year profile, ``{metric id or prefix*: tool profile}`` (or
            ``{prediction kind: tool profile}`` where the year's recipe scored score tables and
            operating points with different tools); the metric then gets that tool profile's params.
    """

    tool: str
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    reproduces: str = ""
    not_reproduced: str = ""
    tools: dict[str, str | dict[str, str]] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "avbench": Profile(
        tool="avbench's documented definitions (default)",
        reproduces="times rounded to 1 us before every comparison, touching/overlapping reference events merged "
                   "(segment/event F1), maximal substitutions, padding past the clip end ignored, zero-length "
                   "events dropped (flagged), 0 and a flag where a value is undefined (never NaN), a class without "
                   "reference kept with TPR 0 (PSDS), score > t at a fixed threshold",
    ),
    "sed_eval": Profile(
        tool="sed_eval 0.2.1 (PyPI; the event-/segment-based metrics of DCASE Task 4 2016-2022 baselines)",
        params={"event_f1*": {"time_decimals": None, "merge_reference": False, "f_formula": "sed_eval",
                              "substitutions": "sed_eval", "zero_length": "keep", "padding": "keep"},
                "segment_f1*": {"time_decimals": None, "merge_reference": False, "f_formula": "sed_eval",
                                "zero_length": "keep", "padding": "keep"}},
        reproduces="raw float collar comparisons (1.2 - 1.0 <= 0.2 a hit, 2.5 - 2.3 a miss), reference events "
                   "kept as given, zero-length events (onset == offset) counted as sed_eval counts them, "
                   "detections past the clip end scored (event-based: sed_eval knows no durations; segment-based: "
                   "cut at the evaluated length, as sed_eval's evaluated_length_seconds), F = 2PR/(P+R), rates over "
                   "Nref + 2.2e-16 and accuracies over n + 2.2e-16 in sed_eval's float order, sed_eval's NaN "
                   "(precision with Nsys = 0, recall with Nref = 0, F of either; numpy.nanmean class-wise "
                   "averages, NaN when no class is defined; JSON null, table NaN, each cause flagged), and "
                   "sed_eval's greedy substitution count (its own Hopcroft-Karp matching, then leftovers paired "
                   "in input order): TP, FP, FN, S, D, I, precision, recall, F1, error rates and segment accuracies, "
                   "overall, class-wise and class-wise averaged, bit for bit equal to sed_eval's on the frozen and "
                   "generated cases (benchmarks/peers/differential.py: crowded cases, empty classes, zero-length "
                   "events, no detections, no references, events past the clip end, duplicated events)",
        not_reproduced="zero-length rows of operating-point files (a directory or threshold list) are dropped, "
                       "as for every metric other than event/segment F1; sed_eval's crashes are not imitated",
    ),
    "psds_eval": Profile(
        tool="psds_eval 0.5.3 (PyPI; DCASE-REPO/psds_eval 41cb963; DCASE Task 4 2020-2022 PSDS)",
        params={"psds*": {"time_decimals": None, "no_reference_class": "drop", "float_order": "psds_eval"},
                "intersection_f1*": {"time_decimals": None}},
        reproduces="unrounded ratio comparisons, a class without reference events left out of the PSD-ROC, "
                   "cross-trigger mean over the other classes, detections starting at or after the clip end "
                   "ignored, exact duplicate rows counted, and psds_eval's float order (the area on its grid, "
                   "class durations Kahan-summed as its pandas tables do): PSDS from operating points bit for bit "
                   "on the DCASE 2021 baseline's 50 operating points and on every generated case "
                   "(benchmarks/peers/differential.py --seeds 30: 60 of 60 values equal)",
        not_reproduced="intersection_f1: psds_eval's compute_macro_f_score gives NaN for a class with TP = 0 and "
                       "drops it with nanmean (DESED_task#80); avbench gives 0 and keeps it, so the two agree only "
                       "when every class has a true positive",
    ),
    "sed_scores_eval": Profile(
        tool="sed_scores_eval 0.0.4 (PyPI; fgnt/sed_scores_eval)",
        params={"psds*": {"time_decimals": 6}, "intersection_f1*": {"f_formula": "sed_scores_eval"},
                "segment_mpauc*": {"padding": "keep"}, "segment_mauc*": {"padding": "keep"}},
        reproduces="exact PSDS from score tables (every threshold, 6-decimal rounding) bit for bit on the frozen "
                   "and generated cases; intersection F1 at a fixed threshold with score > t and F = 2PR/(P+R) in "
                   "sed_scores_eval's float order, class-wise, macro and micro bit for bit on the generated cases; "
                   "segment-based mAUC / mpAUC (segment_based.auroc, max_fpr) with the frames past the clip's "
                   "duration kept, class-wise and mean bit for bit on the generated cases",
        not_reproduced="score-table frames that start at or after the clip's duration: sed_scores_eval counts their "
                       "detections, avbench ignores them (one policy for all SED metrics); sed_scores_eval 0.0.4 "
                       "refuses a class without reference events, avbench scores it; segment mAUC / mpAUC on long "
                       "curves with equal FPRs, where sed_scores_eval's unstable numpy argsort takes a lower TPR "
                       "than the highest at a tie (machine-dependent; avbench equals it with a stable sort)",
    ),
}

_DESED = "DCASE-REPO/DESED_task at c6bcb45"
_F1_TOOLS: dict[str, str | dict[str, str]] = {"event_f1*": "sed_eval", "segment_f1*": "sed_eval"}
PROFILES.update({
    "dcase2020": Profile(
        tool="DCASE 2020 Task 4 baseline (turpaultn/dcase20_task4 at e2f61d7, conda_create_environment.sh last "
             "changed at 52403c2: `pip install sed-eval`, `pip install --upgrade psds_eval`, both unpinned; "
             "reproduced: sed_eval 0.2.1, psds_eval 0.5.3)",
        tools={**_F1_TOOLS, "psds*": "psds_eval"},
        reproduces="baseline/evaluation_measures.py: event/segment F1 with sed_eval (event_based_evaluation_df, "
                   "segment_based_evaluation_df; event F1 was the 2020 ranking metric), PSDS with psds_eval",
        not_reproduced="which psds_eval release the 2020 recipe got is not recorded (unpinned, April 2020; "
                       "releases before 0.4 may differ); avbench reproduces 0.5.3, and cross_trigger_mean="
                       "'all_classes' gives 0.4's cross-trigger mean"),
    "dcase2021": Profile(
        tool=f"DCASE 2021 Task 4 baseline ({_DESED}, recipes/dcase2021_task4_baseline/requirements.txt: "
             "psds_eval>=0.4.0, sed_eval==0.2.1; reproduced: psds_eval 0.5.3, sed_eval 0.2.1)",
        tools={**_F1_TOOLS, "psds*": "psds_eval", "intersection_f1*": "psds_eval"},
        reproduces="what that recipe's local/sed_trainer.py scores with: event/segment F1 with sed_eval "
                   "(log_sedeval_metrics), PSDS from operating points and intersection F1 with psds_eval "
                   "(compute_psds_from_operating_points, compute_per_intersection_macro_f1); each metric gets that "
                   "tool's profile"),
    "dcase2022": Profile(
        tool=f"DCASE 2022 Task 4 baseline ({_DESED}, recipes/dcase2022_task4_baseline/requirements.txt: "
             "psds_eval>=0.4.0, sed_eval==0.2.1; reproduced: psds_eval 0.5.3, sed_eval 0.2.1)",
        tools={**_F1_TOOLS, "psds*": "psds_eval", "intersection_f1*": "psds_eval"},
        reproduces="as dcase2021 (recipes/dcase2022_task4_baseline/local/sed_trainer.py): sed_eval for event/"
                   "segment F1, psds_eval for PSDS from operating points and intersection F1"),
    "dcase2023": Profile(
        tool=f"DCASE 2023 Task 4A baseline ({_DESED}: the recipe's requirements.txt pins none, desed_task's "
             "setup.py asks psds_eval>=0.4.0, sed_eval>=0.2.1, sed_scores_eval>=0.0.0; reproduced: psds_eval "
             "0.5.3, sed_eval 0.2.1, sed_scores_eval 0.0.4)",
        tools={**_F1_TOOLS, "psds*": {"scores": "sed_scores_eval", "*": "psds_eval"},
               "intersection_f1*": "psds_eval"},
        reproduces="recipes/dcase2023_task4_baseline/local/sed_trainer.py reports PSDS both ways: from score "
                   "tables with sed_scores_eval (compute_psds_from_scores), from operating points with psds_eval; "
                   "event/segment F1 with sed_eval, intersection F1 with psds_eval"),
    "dcase2024": Profile(
        tool=f"DCASE 2024 Task 4 baseline ({_DESED}, recipes/dcase2024_task4_baseline/requirements.txt: "
             "sed_scores_eval>=0.0.3; desed_task's setup.py: sed_eval>=0.2.1; reproduced: sed_scores_eval 0.0.4, "
             "sed_eval 0.2.1)",
        tools={**_F1_TOOLS, "psds*": "sed_scores_eval", "intersection_f1*": "sed_scores_eval",
               "segment_mpauc*": "sed_scores_eval", "segment_mauc*": "sed_scores_eval"},
        reproduces="recipes/dcase2024_task4_baseline/local/sed_trainer_pretrained.py: PSDS from score tables "
                   "(compute_psds_from_scores) and intersection F1 at 0.5 (intersection_based.fscore) with "
                   "sed_scores_eval, collar F1 with sed_eval (log_sedeval_metrics), and the MAESTRO ranking metric: "
                   "segment-based mpAUC, segment_based.auroc(segment_length=1.0, max_fpr=0.1)['mean'] (segment_mpauc; "
                   "segment_mauc for the max_fpr=None value it logs) with sed_scores_eval",
        not_reproduced="the recipe's MAESTRO preparation is not a metric and is not done here: ground truth with "
                       "confidence > 0.5 of the eval classes, overlapping events merged, 10 s clip scores "
                       "overlap-added into whole recordings (avbench has no MAESTRO recipe; score the prepared "
                       "tables with avbench evaluate); the best-threshold segment F1 it logs is avbench's "
                       "segment_f1_best, not tied to this profile"),
})
"""Every SED profile, by ``-o profile=`` name: the tools, then the DCASE Task 4 years whose official recipe
named a tool (where the pin was read is in each ``tool``)."""


def tool_of(name: str, metric_id: str, prediction_kind: str = "events") -> str | None:
    """The tool profile that profile ``name`` uses for ``metric_id`` (itself for a tool profile).

    Example:
        >>> tool_of("dcase2023", "psds1", "scores"), tool_of("dcase2023", "psds1"), tool_of("dcase2022", "event_f1")
        ('sed_scores_eval', 'psds_eval', 'sed_eval')
    """
    prof = PROFILES[name]
    if not prof.tools:
        return name
    for key, tool in prof.tools.items():
        if _matches(key, metric_id):
            if isinstance(tool, dict):
                return tool.get(prediction_kind, tool.get("*"))
            return tool
    return None


def _matches(key: str, metric_id: str) -> bool:
    return metric_id.startswith(key[:-1]) if key.endswith("*") else metric_id == key


def profile_params(name: str, metric_id: str, accepted: Iterable[str], prediction_kind: str = "events"
                   ) -> dict[str, Any]:
    """The parameters profile ``name`` sets for ``metric_id`` (only those the metric accepts).

    A DCASE-year profile gives the parameters of the tool it uses for that metric and prediction kind
    (:func:`tool_of`; none when the year's recipe did not score that metric).

    Raises:
        InputError: an unknown profile name (lists the known ones).
    """
    if name not in PROFILES:
        raise InputError(f"-o profile={name}: unknown SED profile; known: {', '.join(PROFILES)}")
    if PROFILES[name].tools:
        tool = tool_of(name, metric_id, prediction_kind)
        return {} if tool is None else profile_params(tool, metric_id, accepted)
    acc = set(accepted)
    out: dict[str, Any] = {}
    for key, params in PROFILES[name].params.items():
        if _matches(key, metric_id):
            out.update({k: v for k, v in params.items() if k in acc})
    return out


def reference_profile_of(metric_id: str, prediction_kind: str = "events") -> str | None:
    """The tool profile whose number a metric is usually compared with (``None``: no reference tool).

    PSDS from score tables is compared with sed_scores_eval, from detections with psds_eval.
    """
    if metric_id.startswith(("event_f1", "segment_f1")) and not metric_id.endswith("best"):
        return "sed_eval"
    if metric_id.startswith("psds"):
        return "sed_scores_eval" if prediction_kind == "scores" else "psds_eval"
    if metric_id.startswith("intersection_f1"):
        return "psds_eval"
    if metric_id.startswith(("segment_mpauc", "segment_mauc")):
        return "sed_scores_eval"
    return None


def profiles_for(metric_id: str) -> dict[str, str]:
    """``{profile: what it reproduces for metric_id}``: the data ``avbench info METRIC`` lists."""
    out = {"avbench": PROFILES["avbench"].reproduces}
    for name, prof in PROFILES.items():
        if name != "avbench" and any(_matches(k, metric_id) for k in (prof.tools or prof.params)):
            text = f"{prof.tool}: {prof.reproduces}"
            if prof.not_reproduced:
                text += f". Not reproduced: {prof.not_reproduced}"
            out[name] = text
    return out
