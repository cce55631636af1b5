"""The predictions validator and the shipped JSON Schema agree (property-based, hypothesis).

For every task kind, generated valid files pass both; for every rule of
``avbench/schemas/predictions-1.0.json``, a generated valid file broken in exactly that rule is
refused by both (the test first checks that the schema does refuse it, so a mutation that breaks
nothing fails loudly); and for arbitrary JSON values put in any field, whatever the validator
accepts the schema accepts too (the validator adds only task rules: shapes, labels, onset < offset).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
jsonschema = pytest.importorskip("jsonschema")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from avbench.errors import InputError  # noqa: E402
from avbench.model import Task, TaskKind  # noqa: E402
from avbench.predictions import FORMAT, FORMAT_VERSION, SCHEMA_PATH, Predictions  # noqa: E402

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
LABELS = ("dog", "cat", "bird")
N_SEG = 3
TASKS = {
    kind: Task(f"t-{kind.value}", "toy", kind, LABELS, ("accuracy",), n_segments=N_SEG)
    for kind in TaskKind
}
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- generated valid content, per task kind ------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
number = st.one_of(finite, st.integers(min_value=-1000, max_value=1000))
label_name = st.sampled_from(LABELS)


@st.composite
def event(draw: st.DrawFn, *, localized: bool) -> dict[str, Any]:
    onset = draw(st.floats(min_value=0, max_value=50, allow_nan=False))
    ev: dict[str, Any] = {"onset": onset, "offset": onset + draw(st.floats(min_value=0.01, max_value=10)),
                          "label": draw(label_name)}
    if localized or draw(st.booleans()):
        ev["azimuth"] = draw(st.floats(min_value=-180, max_value=180))
    for key, strat in (("elevation", st.floats(min_value=-90, max_value=90)),
                       ("distance", st.floats(min_value=0.01, max_value=100)),
                       ("track", st.integers(min_value=0, max_value=5)), ("onscreen", st.booleans()),
                       ("score", st.floats(min_value=0, max_value=1))):
        if draw(st.booleans()):
            ev[key] = draw(strat)
    return ev


def rows(n_rows: int, n_cols: int) -> st.SearchStrategy[list[list[float]]]:
    return st.lists(st.lists(number, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows)


@st.composite
def clip_content(draw: st.DrawFn, kind: TaskKind) -> dict[str, Any]:
    n = len(LABELS)
    if kind is TaskKind.SEGMENT_CLASSIFICATION:
        out: dict[str, Any] = {}
        if draw(st.booleans()):
            out["segment_scores"] = draw(rows(N_SEG, n + 1))
        if not out or draw(st.booleans()):
            out["segment_labels"] = draw(st.lists(st.one_of(label_name, st.just("background"),
                                                            st.integers(0, n)), min_size=N_SEG, max_size=N_SEG))
        return out
    if kind in (TaskKind.CLIP_CLASSIFICATION, TaskKind.TAGGING):
        out = {"clip_scores": draw(st.lists(number, min_size=n, max_size=n))}
        if kind is TaskKind.CLIP_CLASSIFICATION and draw(st.booleans()):
            out["clip_label"] = draw(st.one_of(label_name, st.integers(0, n - 1)))
        return out
    if kind in (TaskKind.EVENT_DETECTION, TaskKind.EVENT_LOCALIZATION):
        out = {"events": draw(st.lists(event(localized=kind is TaskKind.EVENT_LOCALIZATION), min_size=1, max_size=3))}
        if draw(st.booleans()):
            out["frame_scores"] = {"hop": draw(st.floats(min_value=0.001, max_value=1)),
                                   "values": draw(rows(draw(st.integers(1, 4)), n))}
        return out
    return {"start": draw(st.integers(0, N_SEG - 1))}


@st.composite
def document(draw: st.DrawFn, kind: TaskKind) -> dict[str, Any]:
    task = TASKS[kind]
    ids = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3, unique=True))
    doc: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "benchmark": task.dataset,
                           "task": task.id, "split": "test", "clips": {c: draw(clip_content(kind)) for c in ids}}
    if draw(st.booleans()):
        doc["model"] = {"name": draw(st.text(max_size=5))}
    return doc


def schema_ok(doc: Any) -> bool:
    return VALIDATOR.is_valid(doc)


def validator_ok(doc: Any, kind: TaskKind) -> bool:
    try:
        Predictions.from_dict(copy.deepcopy(doc)).validate(TASKS[kind])
    except InputError:
        return False
    return True


kinds = st.sampled_from(list(TaskKind))


@SETTINGS
@given(st.data())
def test_valid_documents_pass_both(data: st.DataObject) -> None:
    kind = data.draw(kinds)
    doc = data.draw(document(kind))
    assert schema_ok(doc), doc
    assert validator_ok(doc, kind), doc


# -- one schema rule broken at a time ------------------------------------------------------------

not_number = st.one_of(st.text(max_size=4).map(str), st.booleans(), st.none(),
                       finite.map(lambda x: str(x)), st.just([1.0]), st.just({}))
not_integer = st.one_of(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not float(x).is_integer()),
                        st.booleans(), st.none(), st.text(max_size=3), st.just([1]))
not_string = st.one_of(number, st.booleans(), st.none(), st.just(["x"]), st.just({}))
not_object = st.one_of(number, st.text(max_size=3), st.booleans(), st.none(), st.just([1]))
not_array = st.one_of(number, st.text(max_size=3), st.booleans(), st.none(), st.just({}))
not_label = st.one_of(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not float(x).is_integer()),
                      st.booleans(), st.none(), st.just([0]), st.just({}))


def _clip(doc: dict[str, Any]) -> dict[str, Any]:
    return next(iter(doc["clips"].values()))


def _event(doc: dict[str, Any]) -> dict[str, Any]:
    return _clip(doc)["events"][0]


def _set_header(key: str, strat: st.SearchStrategy[Any]) -> Callable[[dict[str, Any], st.DataObject], None]:
    def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
        doc[key] = data.draw(strat)
    return mutate


def _drop_header(key: str) -> Callable[[dict[str, Any], st.DataObject], None]:
    return lambda doc, data: doc.pop(key)


def _set_clip(key: str, strat: st.SearchStrategy[Any], *, cell: bool = False) -> Callable[..., None]:
    """Put a bad value at ``key`` of the first clip (``cell``: into its first number cell)."""
    def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
        clip = _clip(doc)
        bad = data.draw(strat)
        if cell:
            if key not in clip:
                clip[key] = [[0.0]] if key != "clip_scores" else [0.0]
            value = clip[key]
            if isinstance(value[0], list):
                value[0][0] = bad
            else:
                value[0] = bad
        else:
            clip[key] = bad
    return mutate


def _set_event(key: str, strat: st.SearchStrategy[Any]) -> Callable[..., None]:
    def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
        _event(doc)[key] = data.draw(strat)
    return mutate


def _drop_event(key: str) -> Callable[..., None]:
    return lambda doc, data: _event(doc).pop(key)


def _set_frame_scores(key: str, strat: st.SearchStrategy[Any]) -> Callable[..., None]:
    def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
        clip = _clip(doc)
        fs = clip.setdefault("frame_scores", {"hop": 0.1, "values": [[0.0] * len(LABELS)]})
        if key == "-hop":
            fs.pop("hop")
        elif key == "-values":
            fs.pop("values")
        else:
            fs[key] = data.draw(strat)
    return mutate


ALL = tuple(TaskKind)
EVENTS = (TaskKind.EVENT_DETECTION, TaskKind.EVENT_LOCALIZATION)
# rule -> (kinds whose documents it is applied to, mutation)
RULES: dict[str, tuple[tuple[TaskKind, ...], Callable[[dict[str, Any], st.DataObject], None]]] = {
    "format-const": (ALL, _set_header("format", st.text(max_size=5).filter(lambda s: s != FORMAT))),
    "format_version-const": (ALL, _set_header("format_version", st.one_of(st.just("1.1"), st.just(1.0), st.none()))),
    "benchmark-string": (ALL, _set_header("benchmark", not_string)),
    "benchmark-minLength": (ALL, _set_header("benchmark", st.just(""))),
    "task-string": (ALL, _set_header("task", not_string)),
    "split-string": (ALL, _set_header("split", not_string)),
    "split-minLength": (ALL, _set_header("split", st.just(""))),
    "required-format": (ALL, _drop_header("format")),
    "required-format_version": (ALL, _drop_header("format_version")),
    "required-benchmark": (ALL, _drop_header("benchmark")),
    "required-task": (ALL, _drop_header("task")),
    "required-split": (ALL, _drop_header("split")),
    "required-clips": (ALL, _drop_header("clips")),
    "top-additionalProperties": (ALL, _set_header("extra_field", number)),
    "model-object": (ALL, _set_header("model", not_object)),
    "clips-object": (ALL, _set_header("clips", not_object)),
    "clip-object": (ALL, lambda doc, data: doc["clips"].__setitem__("c0", data.draw(not_object))),
    "clip-additionalProperties": (ALL, _set_clip("scores", number)),
    "segment_scores-array": (ALL, _set_clip("segment_scores", not_array)),
    "segment_scores-number": (ALL, _set_clip("segment_scores", not_number, cell=True)),
    "segment_labels-array": (ALL, _set_clip("segment_labels", st.one_of(number, st.booleans(), st.none(), st.just({})))),
    "segment_labels-items": (ALL, _set_clip("segment_labels", not_label.map(lambda v: [v] * N_SEG))),
    "clip_scores-array": (ALL, _set_clip("clip_scores", not_array)),
    "clip_scores-number": (ALL, _set_clip("clip_scores", not_number, cell=True)),
    "clip_label-type": (ALL, _set_clip("clip_label", not_label)),
    "events-array": (ALL, _set_clip("events", not_array)),
    "event-object": (EVENTS, lambda doc, data: _clip(doc)["events"].__setitem__(0, data.draw(not_object))),
    "event-required-onset": (EVENTS, _drop_event("onset")),
    "event-required-offset": (EVENTS, _drop_event("offset")),
    "event-required-label": (EVENTS, _drop_event("label")),
    "event-additionalProperties": (EVENTS, _set_event("confidence", number)),
    "onset-number": (EVENTS, _set_event("onset", not_number)),
    "onset-minimum": (EVENTS, _set_event("onset", st.floats(max_value=-1e-6, min_value=-1e6))),
    "offset-number": (EVENTS, _set_event("offset", not_number)),
    "label-string": (EVENTS, _set_event("label", not_string)),
    "label-minLength": (EVENTS, _set_event("label", st.just(""))),
    "azimuth-number": (EVENTS, _set_event("azimuth", not_number)),
    "azimuth-range": (EVENTS, _set_event("azimuth", st.one_of(st.floats(min_value=180.001, max_value=1e4),
                                                              st.floats(max_value=-180.001, min_value=-1e4)))),
    "elevation-number": (EVENTS, _set_event("elevation", not_number)),
    "elevation-range": (EVENTS, _set_event("elevation", st.one_of(st.floats(min_value=90.001, max_value=1e4),
                                                                  st.floats(max_value=-90.001, min_value=-1e4)))),
    "distance-number": (EVENTS, _set_event("distance", not_number)),
    "distance-exclusiveMinimum": (EVENTS, _set_event("distance", st.floats(max_value=0, min_value=-1e4))),
    "track-integer": (EVENTS, _set_event("track", not_integer)),
    "onscreen-boolean": (EVENTS, _set_event("onscreen", st.one_of(number, st.text(max_size=3), st.none()))),
    "score-number": (EVENTS, _set_event("score", not_number)),
    "frame_scores-object": (ALL, _set_clip("frame_scores", not_object)),
    "frame_scores-required-hop": (ALL, _set_frame_scores("-hop", st.none())),
    "frame_scores-required-values": (ALL, _set_frame_scores("-values", st.none())),
    "frame_scores-additionalProperties": (ALL, _set_frame_scores("fps", number)),
    "hop-number": (ALL, _set_frame_scores("hop", not_number)),
    "hop-exclusiveMinimum": (ALL, _set_frame_scores("hop", st.floats(max_value=0, min_value=-10))),
    "values-array": (ALL, _set_frame_scores("values", not_array)),
    "values-number": (ALL, _set_frame_scores("values", not_number.map(lambda v: [[v] * len(LABELS)]))),
    "start-integer": (ALL, _set_clip("start", not_integer)),
    "start-minimum": (ALL, _set_clip("start", st.integers(max_value=-1, min_value=-100))),
}


def test_every_schema_rule_has_a_generated_case() -> None:
    """Walk the schema and check each constraint keyword is exercised by some rule above."""
    names = " ".join(RULES)
    for key in ("format", "format_version", "benchmark", "task", "split", "model", "clips"):
        assert key in names
    for prop, spec in SCHEMA["$defs"]["clip"]["properties"].items():
        assert prop in names, prop
    for prop, spec in SCHEMA["$defs"]["event"]["properties"].items():
        for keyword in ("minimum", "maximum", "exclusiveMinimum", "minLength"):
            if keyword in spec:
                assert any(r.startswith(prop) and r.endswith(("range", keyword)) for r in RULES), (prop, keyword)
        assert any(r.startswith(prop + "-") for r in RULES), prop
    for req in SCHEMA["$defs"]["event"]["required"]:
        assert f"event-required-{req}" in RULES


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_broken_rule_is_refused_by_both(rule: str) -> None:
    applies, mutate = RULES[rule]

    @SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(applies))
        doc = data.draw(document(kind))
        mutate(doc, data)
        assert not schema_ok(doc), f"rule {rule}: the mutation did not break the schema: {doc}"
        assert not validator_ok(doc, kind), f"rule {rule}: the validator accepted what the schema refuses: {doc}"

    check()


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), number, st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=12,
)
field = st.sampled_from(sorted(SCHEMA["$defs"]["clip"]["properties"]))
event_field = st.sampled_from(sorted(SCHEMA["$defs"]["event"]["properties"]))


@SETTINGS
@given(st.data())
def test_what_the_validator_accepts_the_schema_accepts(data: st.DataObject) -> None:
    kind = data.draw(kinds)
    doc = data.draw(document(kind))
    clip = _clip(doc)
    where = data.draw(st.sampled_from(["clip", "event"] if "events" in clip else ["clip"]))
    if where == "clip":
        clip[data.draw(field)] = data.draw(json_value)
    else:
        _event(doc)[data.draw(event_field)] = data.draw(json_value)
    if validator_ok(doc, kind):
        assert schema_ok(doc), doc


@pytest.mark.parametrize(
    "content, needle",
    [
        ({"clip_scores": ["0.7", "0.2", "0.1"]}, "clip_scores must hold JSON numbers, got the string '0.7' (write 0.7, not \"0.7\")"),
        ({"clip_scores": [True, 0.2, 0.1]}, "clip_scores must hold JSON numbers, got true"),
        ({"clip_scores": "0.7"}, "clip_scores must be a list of numbers of shape 3, got the string '0.7'"),
    ],
    ids=["string-scores", "bool-score", "string-for-list"],
)
def test_scores_as_strings_are_refused_with_what_to_write(content: dict[str, Any], needle: str) -> None:
    with pytest.raises(InputError) as exc:
        Predictions("toy", "t-clip-classification", "test", clips={"c": content}).validate(
            TASKS[TaskKind.CLIP_CLASSIFICATION])
    assert needle in str(exc.value)
