"""``-o profile=...``: the parameters that reproduce a tool, recorded in the report, and the tool's value
shown beside avbench's when a deviation fired.

Case (sed_eval 0.2.1 run beside avbench when the test was written: F 0.2857142857142857, ER 1.25,
class-wise F cat 0.0, dog 0.5):

    dog ref  [1.0, 2.0)  [2.3, 3.3)        cat ref  [4, 5) [5, 6)   (touching)
    dog det  [1.2, 2.0)  [2.5, 3.3)        cat det  [4,       6)
    onset errors 0.19999999999999996 (a hit in floats) and 0.20000000000000018 (a miss in floats)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from avbench.errors import InputError
from avbench.metrics.sed.files import evaluate_files
from avbench.metrics.sed.profiles import PROFILES, profiles_for

HEAD = "filename\tonset\toffset\tevent_label\n"
REF = HEAD + "a.wav\t1.0\t2.0\tdog\na.wav\t2.3\t3.3\tdog\na.wav\t4.0\t5.0\tcat\na.wav\t5.0\t6.0\tcat\n"
DET = HEAD + "a.wav\t1.2\t2.0\tdog\na.wav\t2.5\t3.3\tdog\na.wav\t4.0\t6.0\tcat\n"
SED_EVAL = {"f1": 0.28571428571428575, "error_rate": 1.25, "cat": 0.0, "dog": 0.5}


def _eval(tmp_path: Path, options: dict, metrics=("event_f1",)):
    (tmp_path / "gt.tsv").write_text(REF)
    (tmp_path / "det.tsv").write_text(DET)
    return evaluate_files(list(metrics), reference=tmp_path / "gt.tsv", predictions=tmp_path / "det.tsv",
                          durations=None, allow_missing=False, plots_dir=None, options=options)


def test_sed_eval_profile_reproduces_sed_eval(tmp_path: Path) -> None:
    rep = _eval(tmp_path, {"profile": "sed_eval"})
    r = rep.results[0]
    assert rep.header["profile"] == "sed_eval" and r.extra["profile"] == "sed_eval"
    assert r.overall["f1"] == pytest.approx(SED_EVAL["f1"], abs=1e-15)
    assert r.overall["error_rate"] == SED_EVAL["error_rate"]
    assert (r.class_wise["cat"]["f1"], r.class_wise["dog"]["f1"]) == (SED_EVAL["cat"], SED_EVAL["dog"])
    assert not any("differs from profile" in f for f in r.flags)


def test_default_shows_the_tool_value_and_the_deviations_that_fired(tmp_path: Path) -> None:
    r = _eval(tmp_path, {}).results[0]
    assert r.extra["profile"] == "avbench"
    # avbench: both onsets within the collar (times rounded to 1 us), the touching cat references merged
    assert r.overall["f1"] == 1.0
    beside = r.extra["reference_profile"]
    assert beside["profile"] == "sed_eval" and beside["overall"]["f1"] == pytest.approx(SED_EVAL["f1"], abs=1e-15)
    flag = next(f for f in r.flags if f.startswith("differs from profile sed_eval"))
    assert "f1_macro 1 here, 0.25 with sed_eval" in flag  # the primary value: mean of cat 0 and dog 0.5
    assert "1 deviation(s) fired, each flagged with its count" in flag
    assert beside["deviations"] == ["reference: merged 1 overlapping or touching same-class event pair(s)"]


def test_explicit_options_win_over_the_profile(tmp_path: Path) -> None:
    r = _eval(tmp_path, {"profile": "sed_eval", "time_decimals": "6"}).results[0]
    assert r.params["time_decimals"] == 6 and r.params.get("merge_reference", False) is False


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown SED profile; known: avbench, sed_eval, psds_eval, sed_scores_eval"):
        _eval(tmp_path, {"profile": "sedeval"})


def test_profiles_say_what_they_reproduce_and_what_not() -> None:
    listed = profiles_for("event_f1")
    assert set(listed) == {"avbench", "sed_eval"} and "greedy substitution count" in listed["sed_eval"]
    assert set(profiles_for("psds1")) == {"avbench", "psds_eval", "sed_scores_eval"}
    assert all(p.tool for p in PROFILES.values())


def test_info_lists_the_profiles(capsys) -> None:
    import json

    from avbench.cli import main

    for metric, names in (("event_f1", {"avbench", "sed_eval"}), ("seld-dcase2025", {"avbench", "official"})):
        with pytest.raises(SystemExit) as ok:
            main(["info", metric, "--json"])
        assert ok.value.code in (0, None)
        assert set(json.loads(capsys.readouterr().out)["profiles"]) == names


def test_sed_eval_profile_counts_substitutions_as_sed_eval_in_file_order(tmp_path: Path) -> None:
    """Rows in file order; sed_eval 0.2.1 on them: S = 0, ER 1.0 (avbench keeping both references: S = 1, ER 0.5)."""
    (tmp_path / "gt.tsv").write_text(HEAD + "k.wav\t1.1\t2.1\ta\nk.wav\t1.0\t2.0\ta\n")
    (tmp_path / "det.tsv").write_text(HEAD + "k.wav\t1.05\t2.05\ta\nk.wav\t1.25\t2.25\tb\n")
    kw = dict(reference=tmp_path / "gt.tsv", predictions=tmp_path / "det.tsv", durations=None, allow_missing=False,
              plots_dir=None)
    r = evaluate_files(["event_f1"], options={"profile": "sed_eval", "labels": "a,b"}, **kw).results[0]
    assert (r.extra["counts"]["substitutions"], r.overall["error_rate"]) == (0, 1.0)
    d = evaluate_files(["event_f1"], options={"labels": "a,b", "merge_reference": "false"}, **kw).results[0]
    assert (d.extra["counts"]["substitutions"], d.overall["error_rate"]) == (1, 0.5)
    assert d.extra["reference_profile"]["overall"]["error_rate"] == 1.0
