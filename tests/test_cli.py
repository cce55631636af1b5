"""The command line explains itself, and user errors are one line with exit status 2."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from avbench.cli import cli, main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_top_level_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "avbench demo" in out and "evaluate" in out


@pytest.mark.parametrize("command", cli.list_commands(None))
def test_every_subcommand_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    assert f"Usage: avbench {command}" in out
    # a description beyond the usage line
    assert len(out.strip().splitlines()) > 3


def test_unknown_command_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["no-such-command"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("avbench: error:")


@pytest.mark.parametrize(
    "content, needle",
    [
        ('{"format": "avbench-predictions", "format_version": "1.0", "benchmark": "x"', "malformed JSON"),
        ('{"format": "avbench-predictions", "format_version": "9.9", "benchmark": "x", "task": "t", '
         '"split": "test", "clips": {}}', "format_version"),
        ('{"format": "avbench-predictions", "format_version": "1.0", "benchmark": "x", "task": "no-such-task", '
         '"split": "test", "clips": {}}', "unknown task"),
    ],
    ids=["truncated", "bad-version", "unknown-task"],
)
def test_corrupted_predictions_give_one_line_and_exit_2(
    tmp_path: Path, content: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "preds.json"
    p.write_text(content)
    code, _, err = run(["evaluate", "--predictions", str(p)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err and "Traceback" not in err


def test_list_json_names_versions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["list", "metrics", "--json"], capsys)
    assert code == 0
    metrics = {m["id"]: m for m in json.loads(out)["metrics"]}
    assert metrics["accuracy"]["version"] == "1.0" and metrics["accuracy"]["family"] == "classification"


def test_info_unknown_name_suggests_a_close_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["info", "psds"], capsys)
    assert code == 2 and "no dataset, task or metric is named 'psds'" in err and "did you mean" in err


def test_evaluate_without_data_says_how_to_get_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "preds.json"
    p.write_text('{"format": "avbench-predictions", "format_version": "1.0", "benchmark": "synth", '
                 '"task": "synth-ave", "split": "test", "clips": {}}')
    code, _, err = run(["evaluate", "--predictions", str(p), "--data-dir", str(tmp_path / "empty")], capsys)
    assert code == 2 and "avbench download synth" in err and "--reference" not in err


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _run_script(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> int:
    """The console script's ``run()`` in-process, with ``os._exit`` caught: its code, or -1 for a normal exit."""
    import avbench.cli as cli_mod

    def fake_exit(code: int) -> None:
        raise _Exited(code)

    monkeypatch.setattr(cli_mod, "_CLEAN_EXIT", False)
    monkeypatch.setattr(cli_mod.os, "_exit", fake_exit)
    monkeypatch.setattr("sys.argv", ["avbench", *args])
    try:
        cli_mod.run()
    except _Exited as done:
        return done.code
    except SystemExit:
        return -1
    raise AssertionError("run() returned without exiting")


def test_console_script_skips_teardown_only_after_a_clean_evaluate(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    gt, det = tmp_path / "gt.tsv", tmp_path / "det.tsv"
    gt.write_text("filename\tonset\toffset\tevent_label\na.wav\t1.0\t2.0\tdog\n")
    det.write_text("filename\tonset\toffset\tevent_label\na.wav\t1.1\t2.0\tdog\n")
    out = tmp_path / "out.json"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    # evaluate wrote and closed its report: the process ends with os._exit(0), the report complete on disk
    assert _run_script(monkeypatch, ["evaluate", "-r", str(gt), "-p", str(det), "-m", "event_f1", "-q",
                                     "--json", str(out)]) == 0
    assert json.loads(out.read_text())["metrics"]["event_f1"]["overall"]["f1"] == 1.0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"  # for the numpy it starts; a user's own setting is kept
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert _run_script(monkeypatch, ["evaluate", "-r", str(gt), "-p", str(det), "-m", "event_f1", "-q"]) == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"
    # a user error exits normally (status 2 through sys.exit), and so does any other command
    assert _run_script(monkeypatch, ["evaluate", "-r", str(gt), "-p", str(tmp_path / "none.tsv"),
                                     "-m", "event_f1"]) == -1
    assert _run_script(monkeypatch, ["--help"]) == -1


def test_every_command_is_found_in_its_own_module_without_importing_the_others() -> None:
    import avbench.cli as cli_mod

    homes = {}
    for name in cli_mod._command_modules():
        mod = importlib.import_module(f"avbench.cli.{name}")
        homes.update({cmd.name: name for cmd in mod.COMMANDS})
    assert homes == cli_mod._HOME  # a new command module or command is added to the table
    code = ("import sys; from avbench.cli import cli; cli.get_command(None, 'evaluate'); "
            "print(sorted(m for m in sys.modules if m.startswith('avbench.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['avbench.cli.evaluate']"


def test_tables_written_to_a_pipe_end_each_line_at_its_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", "event_f1"], capsys)
    assert code == 0 and "collar" in out
    assert all(line == line.rstrip(" ") for line in out.splitlines())  # not padded to the 10,000-column width
    assert max(len(line) for line in out.splitlines()[:3]) < 200


def test_a_json_report_that_cannot_be_written_is_one_line_exit_2(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    gt, det = tmp_path / "gt.tsv", tmp_path / "det.tsv"
    gt.write_text("filename\tonset\toffset\tevent_label\na.wav\t1.0\t2.0\tdog\n")
    det.write_text("filename\tonset\toffset\tevent_label\na.wav\t1.1\t2.0\tdog\n")
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where a directory is needed\n")
    code, _, err = run(["evaluate", "-r", str(gt), "-p", str(det), "-m", "event_f1", "-q",
                        "--json", str(blocker / "out.json")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"avbench: error: --json {blocker / 'out.json'}: cannot write there")
    assert blocker.read_text() == "a file where a directory is needed\n"  # nothing else touched
