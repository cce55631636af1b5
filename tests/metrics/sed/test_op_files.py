"""The batch parser of operating-point files gives what the general reader gives, bit for bit.

The general reader is the same :func:`read_operating_point_columns` with the batch parser turned
off (every file read by :func:`~avbench.metrics.sed.io.read_events_tsv`): same arrays, same clip
and label order, same error, same warnings, on the real DESED operating points and on hostile files.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.sed import _op_files
from avbench.metrics.sed._op_files import read_operating_point_columns

HEAD = "filename\tonset\toffset\tevent_label\n"
PSDS_HEAD = "event_label\tonset\toffset\tfilename\tindex\n"
DESED_LABELS = sorted("Alarm_bell_ringing Blender Cat Dishes Dog Electric_shaver_toothbrush Frying Running_water "
                      "Speech Vacuum_cleaner".split())


def _outcome(path: Path, labels, *, how: str, monkeypatch: pytest.MonkeyPatch):
    """``(columns or error message, warnings)`` of one read: files read in place (``fast``), copied
    (``copied``: :func:`_op_files._body`, which also takes CRLF and comma files), or each by
    read_events_tsv (``general``)."""
    with monkeypatch.context() as m:
        if how != "fast":
            m.setattr(_op_files, "_in_place", lambda files: None)
        if how == "general":
            m.setattr(_op_files, "_body", lambda p: None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                got = read_operating_point_columns(path, labels=labels)
            except InputError as exc:
                got = f"InputError: {exc}"
    return got, [(w.category, str(w.message), w.filename) for w in caught]


def assert_same_read(path: Path, labels=None, *, monkeypatch: pytest.MonkeyPatch) -> None:
    slow, slow_warn = _outcome(path, labels, how="general", monkeypatch=monkeypatch)
    for how in ("fast", "copied"):
        fast, fast_warn = _outcome(path, labels, how=how, monkeypatch=monkeypatch)
        assert fast_warn == slow_warn, how
        if isinstance(slow, str) or isinstance(fast, str):
            assert fast == slow, how
            continue
        assert (fast.thresholds, fast.clips, fast.labels) == (slow.thresholds, slow.clips, slow.labels), how
        for name in ("clip", "cls", "onset", "offset", "op", "uid"):
            a, b = getattr(fast, name), getattr(slow, name)
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), (how, name)


def test_the_real_desed_operating_points_read_alike(reference_dir, monkeypatch):
    ops = (reference_dir / "desed" / "DCASE-REPO_DESED_task" / "PSDS_Eval" / "meta" / "metrics_test" / "student"
           / "predictions_operating_points")
    if not ops.is_dir():
        pytest.skip(f"DESED operating points not found at {ops}")
    calls = []
    real_slow = _op_files._Reader._slow
    monkeypatch.setattr(_op_files._Reader, "_slow", lambda self, *a: calls.append(a) or real_slow(self, *a))
    cols = read_operating_point_columns(ops, labels=DESED_LABELS)
    assert calls == [] and cols.op.size == 174730  # every file taken by the batch parser
    monkeypatch.undo()
    for labels in (None, DESED_LABELS):
        assert_same_read(ops, labels, monkeypatch=monkeypatch)


# each case: files of one operating-point directory (threshold in the name), read with and without labels
CASES = {
    "plain": {"p_0.1.tsv": HEAD + "a.wav\t1.0\t3.0\tdog\nb.wav\t0.5\t1.5\tcat\n",
              "p_0.2.tsv": HEAD + "a.wav\t1.00\t3\tdog\n"},
    "psds layout with index": {"p_0.1.tsv": PSDS_HEAD + "dog\t1.0\t3.0\ta.wav\t0\ncat\t0\t1\tb.wav\t1\n"},
    "odd spacing": {"p_0.1.tsv": HEAD + "a.wav\t 1.0\t3.0\tdog\n", "p_0.2.tsv": HEAD + "a.wav\t1.0\t3.0\tdog \n",
                    "p_0.3.tsv": HEAD + " a.wav\t1.0\t3.0\tdog\n", "p_0.4.tsv": "filename \tonset\toffset\tevent_label\n"},
    "crlf": {"p_0.1.tsv": HEAD.replace("\n", "\r\n") + "a.wav\t1.0\t3.0\tdog\r\nb.wav\t2\t4\tcat\r\n",
             "p_0.2.tsv": HEAD + "a.wav\t1.0\t3.0\tdog\rb.wav\t2\t4\tcat\n"},
    "exponents": {"p_0.1.tsv": HEAD + "a.wav\t1e0\t2.5E1\tdog\nb.wav\t1e-1\t1E+1\tcat\n"},
    "infinite": {"p_0.1.tsv": HEAD + "a.wav\t1\t1e400\tdog\n", "p_0.2.tsv": HEAD + "a.wav\t1\tinf\tdog\n"},
    "nan": {"p_0.1.tsv": HEAD + "a.wav\tnan\t2\tdog\n"},
    "long decimals": {"p_0.1.tsv": HEAD + "a.wav\t0.1234567890123456789\t1.2800000000000002\tdog\n"
                                          "a.wav\t5.000000000000000001\t6.99999999999999999999\tcat\n"},
    "negative zero": {"p_0.1.tsv": HEAD + "a.wav\t-0.0\t1.0\tdog\na.wav\t0.0\t1.0\tdog\na.wav\t-0\t2\tdog\n",
                      "p_0.2.tsv": HEAD + "a.wav\t0\t1.0\tdog\n"},
    "short forms": {"p_0.1.tsv": HEAD + "a.wav\t1.\t.5e1\tdog\nb.wav\t.5\t+1\tcat\nc.wav\t0_5\t1_0\tcat\n"
                                        "d.wav\t007\t0008.250\tdog\n"},
    "no digits": {"p_0.1.tsv": HEAD + "a.wav\t.\t1\tdog\n"},
    "huge mantissas": {"p_0.1.tsv": HEAD + "a.wav\t123456789012345678901234567890\t1e31\tdog\n"
                                           "a.wav\t9007199254740993\t9007199254740995\tcat\n"},
    "negative onset": {"p_0.1.tsv": HEAD + "a.wav\t-1\t2\tdog\n"},
    "onset after offset": {"p_0.1.tsv": HEAD + "a.wav\t3\t2\tdog\n"},
    "empty-label rows": {"p_0.1.tsv": HEAD + "a.wav\t\t\t\nb.wav\t1\t2\tdog\n",
                         "p_0.2.tsv": HEAD + "a.wav\t1.0\t2.0\t\n"},
    "declaration with an index": {"p_0.1.tsv": PSDS_HEAD + "\t\t\ta.wav\t\ndog\t1\t2\tb.wav\t1\n",
                                  "p_0.2.tsv": PSDS_HEAD + "\t\t\ta.wav\t7\n"},
    "zero-length rows": {"p_0.1.tsv": HEAD + "a.wav\t1.0\t1.0\tdog\nb.wav\t1\t2\tcat\nc.wav\t2\t2.0\tbird\n",
                         "p_0.2.tsv": HEAD + "a.wav\t-1\t-1\tdog\n", "p_0.3.tsv": HEAD + "d.wav\t3\t3\tdog\n"},
    "unknown labels": {"p_0.1.tsv": HEAD + "a.wav\t1\t2\tzebra\na.wav\t3\t4\tdog\nb.wav\t1\t2\tcat\n",
                       "p_0.2.tsv": HEAD + "a.wav\t1\t2\tyak\na.wav\t3\t4\taardvark\n"},
    "no filename": {"p_0.1.tsv": HEAD + "\t1\t2\tdog\n"},
    "blank lines": {"p_0.1.tsv": "\n\n" + HEAD + "\na.wav\t1\t2\tdog\n\nb.wav\t1\t2\tcat\n\n\n",
                    "p_0.2.tsv": HEAD + "a.wav\t1\t2\tdog", "p_0.3.tsv": HEAD + "\t\t\t\na.wav\t1\t2\tdog\n"},
    "comma separated": {"p_0.1.csv": "filename,onset,offset,event_label\na.wav,1,2,dog\nb.wav,,,\n",
                        "p_0.2.csv": "filename,onset,offset,event_label\na.wav,1,2,dog\tcat\n"},
    "clips not grouped": {"p_0.1.tsv": HEAD + "b.wav\t1\t2\tdog\na.wav\t1\t2\tcat\nb.wav\t3\t4\tcat\n"
                                              "c.wav\t1\t1\tdog\na.wav\t0\t5\tdog\nc.wav\t2\t3\tcat\n",
                          "p_0.2.tsv": HEAD + "a.wav\t1\t2\tcat\nd.wav\t1\t2\tdog\nb.wav\t1\t2\tdog\n"},
    "not ascii": {"p_0.1.tsv": "\ufeff" + HEAD + "a.wav\t1\t2\tdog\n", "p_0.2.tsv": HEAD + "é.wav\t1\t2\tdog\n"},
    "latin-1": {"p_0.1.tsv": (HEAD + "\xe9.wav\t1\t2\tdog\n").encode("latin-1")},
    "control characters": {"p_0.1.tsv": HEAD + "a.wav\t1\t2\tdog\x0bcat\n", "p_0.2.tsv": HEAD + "a.wav\t1\t2\tdo\x1fg\n",
                           "p_0.3.tsv": HEAD + "a.wav\t1\t2\td\x00g\n", "p_0.4.tsv": HEAD + "a\x0c.wav\t1\t2\tdog\n"},
    "ragged rows": {"p_0.1.tsv": HEAD + "a.wav\t1\t2\n", "p_0.2.tsv": HEAD + "a.wav\t1\t2\tdog\textra\n",
                    "p_0.3.tsv": HEAD + "a.wav\n"},
    "header only and empty": {"p_0.1.tsv": HEAD, "p_0.2.tsv": "", "p_0.3.tsv": "\n\n", "p_0.4.tsv": HEAD + "a.wav\t1\t2\tdog\n"},
    "no header": {"p_0.1.tsv": "a.wav\t1.0\t3.0\tdog\n", "p_0.2.tsv": "filename\tonset\toffset\tevent_lable\na\t1\t2\tx\n"},
    "long cell": {"p_0.1.tsv": HEAD + "a" * 300 + ".wav\t1\t2\tdog\nb.wav\t1\t2\tdog\n"},
    "names of every length": {"p_0.1.tsv": HEAD + "".join(f"{'n' * k}\t1\t2\tdog\n{'n' * k}\t3\t4\tcat\n"
                                                           for k in range(1, 41))},
    "shared prefixes": {"p_0.1.tsv": HEAD + "Y00pbt6aJV8Y_350.000_360.000.wav\t1\t2\tSpeech_male_x\n"
                                            "Y00pbt6aJV8Y_350.000_370.000.wav\t1\t2\tSpeech_male_y\n"
                                            "Y00pbt6aJV8Y_350.000_360.000.wav\t3\t4\tSpeech_male_y\n"
                                            "Y00pbt6aJV8Y_350.000_360.000.wavx\t3\t4\tSpeech_male_x\n",
                        "p_0.2.tsv": HEAD + "a.wav\t1\t2\tSpeech_m\nb.wav\t1\t2\tSpeech_male\nc.wav\t1\t2\tSpeech_m\n",
                        "p_0.3.tsv": HEAD + "a.wav\t1\t2\tSpeech_male\nb.wav\t1\t2\tSpeech_m\n",
                        "p_0.4.tsv": HEAD + "a.wav\t1\t2\tSpeech_m\nb.wav\t1\t2\tSpeech_male\n"},
    "a label of 8 bytes beside a longer one": {"p_0.1.tsv": HEAD + "a.wav\t1\t2\tSpeech_m\nb.wav\t1\t2\tSpeech_male\n"},
}


@pytest.mark.parametrize("labels", [None, ("dog", "cat")], ids=["labels seen", "labels given"])
@pytest.mark.parametrize("case", CASES)
def test_hostile_files_read_alike(case, labels, tmp_path, monkeypatch):
    for name, text in CASES[case].items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    assert_same_read(tmp_path, labels, monkeypatch=monkeypatch)


TOKENS = {
    "name": ["a.wav", "b.wav", "clip_0001.wav", "Y00pbt6aJV8Y_350.000_360.000.wav", "Y00pbt6aJV8Y_350.000_370.000.wav",
             "x" * 17, "", " c.wav", "é.wav"],
    "time": ["0", "0.0", "1", "1.0", "1.00", "2.5", "9.984", "10", ".5", "1.", "+1", "-0", "-0.0", "1e0", "2E-1",
             "0.1234567890123456789", "1_0", "12345678901234567890", "nan", "inf", "", " 3", "x", "-1", "3.000"],
    "label": ["dog", "cat", "Electric_shaver_toothbrush", "Electric_shaver_toothpick", "Speech", "Speech_m",
              "Speech_male", "", "bird", "dog "],
}


def _random_row(rng: random.Random, layout: str) -> str:
    clean = rng.random() < 0.85
    name = rng.choice(TOKENS["name"][:6] if clean else TOKENS["name"])
    on, off = (rng.choice(TOKENS["time"][:13] if clean else TOKENS["time"]) for _ in range(2))
    if clean and rng.random() < 0.8:
        on, off = sorted((on, off), key=float)
    label = rng.choice(TOKENS["label"][:7] if clean else TOKENS["label"])
    if rng.random() < 0.03:
        on = off = label = ""
    if layout == "psds":
        return f"{label}\t{on}\t{off}\t{name}\t{rng.randrange(100)}"
    return f"{name}\t{on}\t{off}\t{label}"


@pytest.mark.parametrize("seed", range(40))
def test_random_operating_points_read_alike(seed, tmp_path, monkeypatch):
    rng = random.Random(seed)
    for t in range(rng.randint(1, 6)):
        layout = rng.choice(["dcase", "psds"])
        rows = [_random_row(rng, layout) for _ in range(rng.randint(0, 30))]
        if rng.random() < 0.5:  # mostly clips together, as systems write them
            rows.sort(key=lambda r: r.split("\t")[3 if layout == "psds" else 0])
        text = (PSDS_HEAD if layout == "psds" else HEAD) + "\n".join(rows) + ("\n" if rng.random() < 0.9 else "")
        if rng.random() < 0.1:
            text = text.replace("\n", "\r\n")
        (tmp_path / f"op_{t / 10:.1f}.tsv").write_text(text)
    labels = rng.choice([None, ("dog", "cat", "Speech", "Electric_shaver_toothbrush", "Electric_shaver_toothpick")])
    assert_same_read(tmp_path, labels, monkeypatch=monkeypatch)


def test_a_hash_collision_reads_every_file_generally(tmp_path, monkeypatch):
    """Names that hash alike (forced here) are told apart: the batch is read file by file."""
    (tmp_path / "p_0.1.tsv").write_text(HEAD + "clip_number_one.wav\t1\t2\tdog\nclip_number_two.wav\t1\t2\tdog\n")
    monkeypatch.setattr(_op_files, "_key", lambda words, size: np.zeros(size.size, dtype=np.uint64))
    cols = read_operating_point_columns(tmp_path)
    assert cols.clips == ("clip_number_one.wav", "clip_number_two.wav") and cols.n_distinct == 2
