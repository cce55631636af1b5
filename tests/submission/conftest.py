"""Fixtures: see tests/_submission_fixtures.py."""

from _submission_fixtures import META, make_predictions, meta_file, synth_root  # noqa: F401
