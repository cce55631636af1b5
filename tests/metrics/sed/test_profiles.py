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
    assert set(listed) == {"avbench", "sed_eval"} | {"dcase2020", "dcase2021", "dcase2022", "dcase2023", "dcase2024"} and "greedy substitution count" in listed["sed_eval"]
    assert set(profiles_for("psds1")) == {"avbench", "psds_eval", "sed_scores_eval"} | {"dcase2020", "dcase2021", "dcase2022", "dcase2023", "dcase2024"}
    assert "recipes/dcase2022_task4_baseline/requirements.txt" in listed["dcase2022"] and "c6bcb45" in listed["dcase2022"]
    assert all(p.tool for p in PROFILES.values())


def test_info_lists_the_profiles(capsys) -> None:
    import json

    from avbench.cli import main

    for metric, names in (("event_f1", {"avbench", "sed_eval"} | {"dcase2020", "dcase2021", "dcase2022", "dcase2023", "dcase2024"}), ("seld-dcase2025", {"avbench", "official"})):
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


def test_dcase_year_profiles_pick_the_tool_of_that_recipe() -> None:
    from avbench.metrics.sed.profiles import profile_params, tool_of

    assert [tool_of(y, "psds1", k) for y in ("dcase2022", "dcase2023", "dcase2024") for k in ("events", "scores")] == [
        "psds_eval", "psds_eval", "psds_eval", "sed_scores_eval", "sed_scores_eval", "sed_scores_eval"]
    acc = {"time_decimals", "merge_reference", "f_formula", "substitutions", "no_reference_class"}
    assert profile_params("dcase2022", "event_f1", acc) == profile_params("sed_eval", "event_f1", acc)
    assert profile_params("dcase2023", "psds2", acc, "operating_points") == {"time_decimals": None,
                                                                             "no_reference_class": "drop"}


def test_year_profile_reproduces_its_tool_and_shows_avbench_beside(tmp_path: Path) -> None:
    rep = _eval(tmp_path, {"profile": "dcase2022"})
    r = rep.results[0]
    assert rep.header["profile"] == "dcase2022" and r.extra["profile"] == "dcase2022"
    assert r.overall["error_rate"] == SED_EVAL["error_rate"]  # sed_eval's number, as the 2022 recipe got it
    assert r.extra["avbench_value"]["overall"]["f1"] == 1.0
    assert ("profile dcase2022 (the tool's number, as published): f1_macro 0.25 here, 1 with avbench's definitions, "
            "12 value(s) differ") in r.flags


def test_task_scores_with_its_profile_by_default_and_avbench_on_request() -> None:
    from avbench.evaluation import _configs, score_clips
    from avbench.model import Clip, Event, MetricRef, Task, TaskKind

    task = Task("t", "d", TaskKind.EVENT_DETECTION, ("dog",),
                (MetricRef("event_f1", {"collar": 0.2, "percentage_of_length": 0.2}, "dcase2022"),))
    clips = {"a": Clip("a", 10.0, events=(Event(1.0, 2.0, "dog"), Event(2.0, 3.0, "dog")))}
    pred = {"a": {"events": [{"onset": 1.0, "offset": 3.0, "label": "dog"}]}}
    r = score_clips(task, clips, pred, _configs(task, None))[0]
    assert r.extra["profile"] == "dcase2022" and r.overall["f1"] == 0.0  # sed_eval keeps both references
    assert r.extra["avbench_value"]["overall"]["f1"] == 1.0  # avbench merges the touching pair
    own = score_clips(task, clips, pred, _configs(task, None, "avbench"))[0]
    assert own.overall["f1"] == 1.0 and "profile" not in own.extra
    with pytest.raises(InputError, match="^-o profile=official: unknown SED profile; known: avbench, sed_eval"):
        _configs(task, None, "official")


def test_shipped_tasks_name_their_official_profile() -> None:
    from avbench import registry

    assert {m.profile for m in registry.task("desed-sed").metrics} == {"dcase2023"}
    seld = [m for t in registry.tasks().values() if t.dataset != "synth" for m in t.metrics
            if m.id.startswith("seld-dcase")]
    assert len(seld) >= 7 and all(m.profile == "official" for m in seld)  # STARSS22/23, TAU-NIGENS, TAU SSE 2019


def test_each_year_and_edition_profile_names_the_code_it_was_read_from() -> None:
    from avbench.metrics.seld.files import profiles_for as seld_profiles
    from avbench.metrics.sed.profiles import tool_of

    assert tool_of("dcase2020", "psds1", "scores") == "psds_eval" and tool_of("dcase2020", "intersection_f1") is None
    assert "turpaultn/dcase20_task4 at e2f61d7" in profiles_for("event_f1")["dcase2020"]
    assert seld_profiles("seld-dcase2021")["official"].startswith("sharathadavanne/seld-dcase2021, HEAD f8e09db")
    assert seld_profiles("seld-dcase2019")["official"].startswith("sharathadavanne/seld-dcase2019 at e88c62b")
