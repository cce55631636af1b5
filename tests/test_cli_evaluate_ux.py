"""`avbench evaluate`, `info`, `list` and `download` as a new user meets them: each case the
exact message and exit status (issue 9)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from avbench import registry
from avbench.cli import main
from avbench.predictions import Predictions


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def one_error(code: int, err: str) -> str:
    """The single error line (no traceback, nothing else on stderr)."""
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("avbench: error: "), err
    return lines[0][len("avbench: error: "):]


@pytest.fixture(scope="module")
def ave_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the AVE toy fixture (2 test clips) in the real layout."""
    data = tmp_path_factory.mktemp("data")
    (data / "ave").mkdir()
    registry.dataset("ave").make_toy(data / "ave")
    return data


def ave_predictions(ave_dir: Path, tmp_path: Path, **changes) -> Path:  # noqa: ANN003
    task = registry.task("ave-supervised")
    clips = registry.dataset("ave").reference(ave_dir / "ave", task, "test")
    p = Predictions(benchmark="ave", task=task.id, split="test")
    for cid in clips:
        p.add(cid, segment_scores=np.eye(len(task.labels) + 1)[[0] * task.n_segments])
    doc = p.to_dict()
    for key, value in changes.items():
        doc[key] = value
    path = tmp_path / "ave_test_preds.json"
    path.write_text(json.dumps(doc))
    return path


APPLY = ("accuracy, ave_segment_accuracy, balanced_accuracy, top5_accuracy, f1_micro, f1_macro, f1_weighted, "
         "confusion_matrix, log_loss, log_loss_micro (omit --metrics for the task's own: ave_segment_accuracy, "
         "f1_macro, f1_weighted)")


@pytest.mark.parametrize("metric, kind", [("psds1", "sed"), ("seld-dcase2022", "seld"), ("map", "multilabel")])
def test_a_metric_of_another_kind_is_refused_before_any_work(
    ave_dir: Path, tmp_path: Path, metric: str, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    preds = ave_predictions(ave_dir, tmp_path)
    code, out, err = run(["evaluate", "-p", str(preds), "--data-dir", str(ave_dir), "--metrics", metric], capsys)
    assert one_error(code, err) == (
        f"metric {metric!r} ({kind} input) does not apply to task 'ave-supervised', a segment-classification task; "
        f"metrics that apply: {APPLY}"
    )
    assert out == ""


def test_the_metric_check_comes_before_the_data_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.json"
    Predictions(benchmark="ave", task="ave-supervised", split="test").write(preds)
    code, _, err = run(["evaluate", "-p", str(preds), "--data-dir", str(tmp_path / "none"), "-m", "psds1"], capsys)
    assert one_error(code, err).startswith("metric 'psds1' (sed input) does not apply to task 'ave-supervised'")


def test_scores_as_strings_are_refused(ave_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds = ave_predictions(ave_dir, tmp_path)
    doc = json.loads(preds.read_text())
    cid = next(iter(doc["clips"]))
    doc["clips"][cid]["segment_scores"][0][0] = "0.7"
    preds.write_text(json.dumps(doc))
    code, _, err = run(["evaluate", "-p", str(preds), "--data-dir", str(ave_dir)], capsys)
    assert one_error(code, err) == (
        f"{preds}: clip {cid!r}: segment_scores must hold JSON numbers, got the string '0.7' (write 0.7, not \"0.7\")"
    )


def test_a_wrong_split_in_the_header_suggests_the_right_one(
    ave_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preds = ave_predictions(ave_dir, tmp_path, split="testing")
    code, _, err = run(["evaluate", "-p", str(preds), "--data-dir", str(ave_dir)], capsys)
    assert one_error(code, err) == (
        f"{preds}: field 'split' 'testing' is not a split of ave (train, cml_train, val, cml_val, test, cml_test, "
        "noisy) (did you mean 'test'?); task 'ave-supervised' is scored on 'test'"
    )


def test_download_unknown_split_and_part_are_errors_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["download", "ave", "--split", "testing", "--data-dir", str(tmp_path), "--dry-run"], capsys)
    assert one_error(code, err) == (
        "--split 'testing' is not one of train, cml_train, val, cml_val, test, cml_test, noisy (did you mean 'test'?); "
        "`avbench info ave` lists its splits"
    )
    code, _, err = run(["verify", "ave", "--parts", "meta,vidoes", "--data-dir", str(tmp_path)], capsys)
    assert one_error(code, err) == (
        "dataset 'ave' has no part(s) vidoes; its parts are meta, videos, features, weak, cml, youtube "
        "(did you mean 'videos'?)"
    )
    assert not any(tmp_path.iterdir())  # nothing fetched, nothing half-written


@pytest.mark.parametrize(
    "args, message",
    [
        (["list", "metric"], "Invalid value for '[datasets|tasks|metrics|baselines|all]': 'metric' is not one of "
                             "datasets, tasks, metrics, baselines, all (did you mean 'metrics'?) (see `avbench list --help`)"),
        (["download", "synth", "--executor", "dusk"], "Invalid value for '--executor': 'dusk' is not one of local, dask "
                                                      "(did you mean 'dask'?) (see `avbench download --help`)"),
    ],
    ids=["list", "download-executor"],
)
def test_fixed_choices_suggest_the_closest(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(args, capsys)
    assert one_error(code, err) == message


# -- SED files -------------------------------------------------------------------------------------

HEADER = "filename\tonset\toffset\tevent_label\n"


@pytest.fixture
def sed_files(tmp_path: Path) -> Path:
    (tmp_path / "gt.tsv").write_text(HEADER + "a.wav\t1.0\t2.0\tdog\nb.wav\t0.5\t3.0\tcat\nc.wav\t4.0\t5.0\tdog\n")
    (tmp_path / "durations.tsv").write_text("filename\tduration\na.wav\t10.0\nb.wav\t10.0\nc.wav\t10.0\n")
    return tmp_path


def test_a_warning_is_one_note_line_and_lands_in_the_report(sed_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt = sed_files / "gt_overlap.tsv"  # a: dog [1,2) and dog [1.5,2.5) overlap -> merged, with a warning
    gt.write_text(HEADER + "a.wav\t1.0\t2.0\tdog\na.wav\t1.5\t2.5\tdog\nb.wav\t0.5\t3.0\tcat\n")
    det = sed_files / "det.tsv"
    det.write_text(HEADER + "a.wav\t1.0\t2.5\tdog\nb.wav\t0.5\t3.0\tcat\n")
    code, out, err = run(["evaluate", "-r", str(gt), "-p", str(det), "-m", "event_f1",
                          "--json", str(sed_files / "r.json")], capsys)
    note = "reference: merged 1 overlapping or touching same-class event pair(s)"
    assert code == 0 and "UserWarning" not in err + out and ".py:" not in err
    assert note in json.loads((sed_files / "r.json").read_text())["metrics"]["event_f1"]["flags"]
    assert [line for line in out.splitlines() if note in line] == [f"note: event_f1: {note}"]


def test_any_warning_is_one_plain_note_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    from avbench import info
    from avbench.cli import catalog

    def warns(name: str, data_dir: Path | None) -> dict:
        warnings.warn("the index of 'x' is older than the recipe;\nrun `avbench download x --parts meta`", stacklevel=2)
        return {"name": name}

    monkeypatch.setattr(info, "dataset_info", warns)
    monkeypatch.setattr(catalog, "_cached_info", lambda name, data_dir: None)  # the live path, which warns
    code, out, err = run(["info", "synth", "--json"], capsys)
    assert code == 0 and json.loads(out) == {"name": "synth"}
    assert err == "note: the index of 'x' is older than the recipe; run `avbench download x --parts meta`\n"


def test_durations_option_names_itself(sed_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(sed_files / "gt.tsv"), "-m", "event_f1"]
    code, _, err = run([*base, "--durations", str(sed_files)], capsys)
    assert one_error(code, err) == (
        f"--durations {sed_files} is a directory; it expects a file: the TSV 'filename<TAB>duration' of the evaluated clips"
    )
    code, _, err = run([*base, "--durations", str(sed_files / "nope.tsv")], capsys)
    assert one_error(code, err) == (
        f"--durations {sed_files / 'nope.tsv'}: no such file; it expects the TSV 'filename<TAB>duration' of the "
        "evaluated clips"
    )


# -- output ------------------------------------------------------------------------------------------

def test_json_dash_writes_the_report_to_stdout(sed_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(sed_files / "gt.tsv"),
                          "-m", "event_f1,psds1", "--durations", str(sed_files / "durations.tsv"), "--json", "-"], capsys)
    assert code == 0 and err == ""
    report = json.loads(out)
    assert report["metrics"]["event_f1"]["overall"]["f1_macro"] == 1.0 and report["report_format"] == "1.0"


def test_table_marks_headlines_shows_intervals_and_is_not_cut(sed_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(sed_files / "gt.tsv"),
                        "-m", "event_f1,segment_f1", "--durations", str(sed_files / "durations.tsv"),
                        "-o", "bootstrap=20"], capsys)
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if "metric (version)" in line)
    assert "value (* headline)" in header and "all clips" in " ".join(lines[:5]) and "95 % CI (all clips)" in header
    first = next(line for line in lines if "event_f1 (v" in line)
    # event_f1's headline (DCASE Task 4: macro event F1) comes first and is marked; its interval on the same line
    assert "f1_macro *" in first and re.search(r"\[[01]\.\d{4}, 1\.0000\]", first)
    assert any("segment_f1 (v" in line and "f1 *" in line for line in lines)


def test_output_to_a_pipe_is_not_cut_at_80_columns(ave_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preds = ave_predictions(ave_dir, tmp_path)
    code, out, _ = run(["evaluate", "-p", str(preds), "--data-dir", str(ave_dir)], capsys)
    row = next(line for line in out.splitlines() if "ave_segment_accuracy (v1.0)" in line)
    # metric, value, all clips, with video, without video: one line of more than 80 characters
    assert code == 0 and len(row) > 80 and len(re.findall(r"\d\.\d{4}", row)) == 3, row
    note = next(line for line in out.splitlines() if "Fixed-wing aircraft, airplane" in line)
    assert note.startswith("note: ave_segment_accuracy: class") and note.endswith("its accuracy is 0")


def test_plots_are_written_and_listed(sed_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    plots = tmp_path / "plots"
    code, out, _ = run(["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(sed_files / "gt.tsv"),
                        "-m", "event_f1,psds1", "--durations", str(sed_files / "durations.tsv"),
                        "--plots", str(plots), "--json", str(tmp_path / "r.json")], capsys)
    assert code == 0
    listed = json.loads((tmp_path / "r.json").read_text())["plots"]
    assert sorted(Path(p).name for p in listed) == ["event_f1_class_f1.png", "psds1_psd_roc.png"]
    assert all(Path(p).read_bytes()[:4] == b"\x89PNG" for p in listed)


def test_confusion_matrix_plot_for_a_classification_task(
    ave_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    preds = ave_predictions(ave_dir, tmp_path)
    code, _, _ = run(["evaluate", "-p", str(preds), "--data-dir", str(ave_dir), "--plots", str(tmp_path / "pl"),
                      "--json", str(tmp_path / "r.json")], capsys)
    assert code == 0
    names = sorted(Path(p).name for p in json.loads((tmp_path / "r.json").read_text())["plots"])
    assert names == ["confusion_matrix.png", "f1_macro_class_f1.png", "f1_weighted_class_f1.png"]


def test_plots_without_matplotlib_name_the_extra(
    sed_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if name.split(".")[0] == "matplotlib":
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    monkeypatch.delitem(__import__("sys").modules, "matplotlib", raising=False)
    code, _, err = run(["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(sed_files / "gt.tsv"),
                        "-m", "event_f1", "--plots", str(tmp_path / "pl")], capsys)
    assert one_error(code, err) == '--plots needs matplotlib: install it with `pip install "avbench[plots]"`'
    assert not (tmp_path / "pl").exists()


def test_info_dataset_is_a_readable_summary(ave_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", "ave", "--data-dir", str(ave_dir)], capsys)
    assert code == 0 and "{" not in out.splitlines()[0]
    assert out.startswith("ave 1.0: AVE: Audio-Visual Event localization dataset")
    assert "classes (28): Church bell, Male speech, man speaking, Bark," in out
    # split sizes from the packaged index, the toy's counts beside them
    assert "splits (clips): train 3339 (4 on disk), cml_train 3339, val 402 (1 on disk)" in out
    assert any("ave-supervised" in line and "ave_segment_accuracy (accuracy)" in line for line in out.splitlines())
    assert "license: " in out and "citation: Y. Tian" in out
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("│")}
    assert "absent" in rows["cml"] and "present" in rows["features"] and "partial" in rows["weak"]


def test_info_without_data_still_gives_split_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", "ave", "--data-dir", str(tmp_path), "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["split_sizes"]["test"] == 402 and info["split_sizes"]["noisy"] == 178
    assert {p["status"] for p in info["parts_on_disk"]} == {"absent"}
    assert info["tasks"]["ave-supervised"]["primary"] == {"metric": "ave_segment_accuracy", "value": "accuracy"}


@pytest.mark.parametrize("args", [["list", "--json"], ["list", "tasks", "--json"], ["info", "synth-sed", "--json"],
                                  ["info", "psds1", "--json"]])
def test_listing_and_info_commands_speak_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(args, capsys)
    assert code == 0 and isinstance(json.loads(out), dict)


# -- DCASE file conventions ----------------------------------------------------------------------------

def test_a_detections_tsv_that_omits_clips_means_no_detections(
    sed_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    #   gt:  a dog [1,2)   b cat [0.5,3)   c dog [4,5)     det: a dog [1,2) only (b, c omitted)
    det = tmp_path / "det.tsv"
    det.write_text(HEADER + "a.wav\t1.0\t2.0\tdog\n")
    full = tmp_path / "full.tsv"  # the same, with b and c listed as empty rows
    full.write_text(HEADER + "a.wav\t1.0\t2.0\tdog\nb.wav\t\t\t\nc.wav\t\t\t\n")
    args = ["evaluate", "-r", str(sed_files / "gt.tsv"), "--durations", str(sed_files / "durations.tsv"),
            "-m", "event_f1,psds1"]
    code, out, _ = run([*args, "-p", str(det), "--json", "-"], capsys)
    omitted = json.loads(out)
    code2, out2, _ = run([*args, "-p", str(full), "--json", "-"], capsys)
    listed = json.loads(out2)
    assert code == code2 == 0
    assert omitted["metrics"]["event_f1"]["overall"] == listed["metrics"]["event_f1"]["overall"]
    # 1 hit of 3 reference events, no false positive: F1 = 2 * 1 / (1 + 3) = 0.5
    assert omitted["metrics"]["event_f1"]["overall"]["f1"] == pytest.approx(0.5)
    assert omitted["metrics"]["psds1"]["overall"] == listed["metrics"]["psds1"]["overall"]
    assert omitted["coverage"]["clips_without_detections"] == listed["coverage"]["clips_without_detections"] == 2
    assert omitted["coverage"]["clips_missing"] == 2


def test_a_score_table_directory_lacking_a_clip_stays_an_error(
    sed_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores = tmp_path / "scores"
    scores.mkdir()
    (scores / "a.tsv").write_text("onset\toffset\tcat\tdog\n0.0\t1.0\t0.1\t0.2\n1.0\t2.0\t0.1\t0.9\n")
    (scores / "b.tsv").write_text("onset\toffset\tcat\tdog\n0.0\t3.0\t0.8\t0.1\n")
    code, _, err = run(["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(scores), "-m", "psds1",
                        "--durations", str(sed_files / "durations.tsv")], capsys)
    assert one_error(code, err) == (
        f"{scores}: 1 of 3 reference clips have no prediction ('c.wav'); every clip needs its score table "
        "(sed_scores_eval's rule), or pass --allow-missing to score absent clips as empty"
    )


def test_overlapping_detections_name_the_merge_option_and_it_merges(
    sed_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    #   a: dog [1,1.6) and dog [1.4,2) overlap -> merged: dog [1,2), the reference event exactly
    det = tmp_path / "det.tsv"
    det.write_text(HEADER + "a.wav\t1.0\t1.6\tdog\na.wav\t1.4\t2.0\tdog\nb.wav\t0.5\t3.0\tcat\nc.wav\t4.0\t5.0\tdog\n")
    args = ["evaluate", "-r", str(sed_files / "gt.tsv"), "-p", str(det), "-m", "psds1",
            "--durations", str(sed_files / "durations.tsv")]
    code, _, err = run(args, capsys)
    msg = one_error(code, err)
    assert msg.startswith("detections clip 'a.wav': same-class events 'dog' [1.0, 1.6] and [1.4, 2.0] overlap; ")
    assert msg.endswith("merge them with -o merge_overlaps=true (avbench evaluate) or avbench.metrics.sed.io.merge_overlapping")
    code, out, _ = run([*args, "-o", "merge_overlaps=true", "--json", "-"], capsys)
    report = json.loads(out)
    assert code == 0 and report["metrics"]["psds1"]["overall"]["psds"] == pytest.approx(1.0)
    assert "merged 1 overlapping or touching same-class detection pair(s) (-o merge_overlaps=true)" in \
        report["metrics"]["psds1"]["flags"]
    code, _, err = run([*args, "-o", "merge_overlaps=maybe"], capsys)
    assert one_error(code, err) == "option merge_overlaps='maybe': expected true or false"


# -- a new user's round of ten mistakes -----------------------------------------------------------------

def _doc(ave_dir: Path, tmp_path: Path) -> dict:
    return json.loads(ave_predictions(ave_dir, tmp_path).read_text())


def _first(doc: dict) -> str:
    return next(iter(doc["clips"]))


def _mistakes(ave_dir: Path, tmp_path: Path, sed: Path) -> list[tuple[str, list[str], str]]:
    """(what the user did, the command, the message) for ten mistakes; each message says what to do."""
    p = tmp_path / "preds.json"
    base = ["evaluate", "-p", str(p), "--data-dir", str(ave_dir)]
    out: list[tuple[str, list[str], str]] = []

    def case(what: str, doc: dict | None, args: list[str], message: str) -> None:
        out.append((what, args, message, doc))  # type: ignore[arg-type]

    d = _doc(ave_dir, tmp_path)
    cid = _first(d)
    youtube_id = cid.split("_", 1)[1]
    d["clips"][youtube_id] = d["clips"].pop(cid)
    case("clip ids without the row prefix", d, base,
         f"{p}: 1 clip id(s) not in ave/test (e.g. {youtube_id!r}) (did you mean {cid!r}?); clip ids must match "
         "the split's ids exactly (`avbench info ave` lists the splits)")
    d = _doc(ave_dir, tmp_path)
    d["split"] = "testing"
    case("a split that does not exist", d, base,
         f"{p}: field 'split' 'testing' is not a split of ave (train, cml_train, val, cml_val, test, cml_test, noisy) "
         "(did you mean 'test'?); task 'ave-supervised' is scored on 'test'")
    d = _doc(ave_dir, tmp_path)
    d["clips"][cid]["segment_scores"] = [row[:28] for row in d["clips"][cid]["segment_scores"]]
    case("scores without the background column", d, base,
         f"{p}: clip {cid!r}: segment_scores has shape 10x28, expected 10x29 "
         "(a row per segment: one score per class, then background)")
    d = _doc(ave_dir, tmp_path)
    d["clips"][cid]["segment_scores"][3][1] = "0.7"
    case("a score written as a string", d, base,
         f"{p}: clip {cid!r}: segment_scores must hold JSON numbers, got the string '0.7' (write 0.7, not \"0.7\")")
    case("a metric of another family", _doc(ave_dir, tmp_path), [*base, "--metrics", "psds1"],
         f"metric 'psds1' (sed input) does not apply to task 'ave-supervised', a segment-classification task; "
         f"metrics that apply: {APPLY}")
    d = _doc(ave_dir, tmp_path)
    d["benchmrk"] = d.pop("benchmark")
    case("a typo in the header", d, base,
         f"{p}: unknown top-level field(s) ['benchmrk'] (did you mean 'benchmark'?); the fields are format, "
         "format_version, benchmark, task, split, model, clips")
    d = _doc(ave_dir, tmp_path)
    d["task"] = "ave-supervized"
    case("a typo in the task id", d, base,
         "unknown task 'ave-supervized' (did you mean 'ave-supervised'?); known: " + ", ".join(sorted(registry.tasks())))
    d = _doc(ave_dir, tmp_path)
    d["clips"][cid]["segment_score"] = d["clips"][cid].pop("segment_scores")
    case("a typo in a clip field", d, base,
         f"{p}: clip {cid!r}: unknown field(s) ['segment_score'] (did you mean 'segment_scores'?); allowed: "
         "['clip_label', 'clip_scores', 'events', 'frame_scores', 'segment_labels', 'segment_scores', 'start']")
    case("a dataset directory for --durations", None,
         ["evaluate", "-r", str(sed / "gt.tsv"), "-p", str(sed / "gt.tsv"), "-m", "psds1", "--durations", str(sed)],
         f"--durations {sed} is a directory; it expects a file: the TSV 'filename<TAB>duration' of the evaluated clips")
    case("a path that does not exist", None, ["evaluate", "-p", str(tmp_path / "pred.json")],
         f"Invalid value for '--predictions' / '-p': Path '{tmp_path / 'pred.json'}' does not exist. "
         "(see `avbench evaluate --help`)")
    return out  # type: ignore[return-value]


def test_a_new_users_ten_mistakes_get_ten_one_line_messages(
    ave_dir: Path, tmp_path: Path, sed_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistakes = _mistakes(ave_dir, tmp_path / "p", sed_files) if (tmp_path / "p").mkdir() is None else []
    assert len(mistakes) == 10
    for what, args, message, doc in mistakes:  # type: ignore[misc]
        if doc is not None:
            (tmp_path / "p" / "preds.json").write_text(json.dumps(doc))
        code, out, err = run(args, capsys)
        assert one_error(code, err) == message, what
        assert out == "", what


def test_readme_command_table_lists_every_command() -> None:
    from avbench.cli import cli

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme[readme.index("## Commands"):readme.index("Every command explains itself")]
    missing = [c for c in cli.list_commands(None) if f"`avbench {c}" not in table]
    assert not missing, f"README's command table lacks {missing}"
    assert "avbench verify NAME" in readme and "--mirror" in readme and "--mirror /data/mirror" in readme  # a local directory as the mirror


@pytest.mark.parametrize("option, message", [
    ("profile=nope", "-o profile=nope: unknown SED profile; known: avbench, sed_eval, psds_eval, sed_scores_eval, "
                     "dcase2020, dcase2021, dcase2022, dcase2023, dcase2024"),
    ("threshold=0.3", "-o threshold=...: options apply to file inputs (DCASE TSVs, SELD CSVs); a predictions JSON is "
                      "scored with its task's fixed parameters (only -o profile=... applies)"),
])
def test_a_predictions_json_takes_only_a_profile_option(option: str, message: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.json"
    Predictions(benchmark="desed", task="desed-sed", split="validation").write(preds)
    code, _, err = run(["evaluate", "-p", str(preds), "--data-dir", str(tmp_path / "none"), "-o", option], capsys)
    assert one_error(code, err) == message
