"""Leaderboard submissions: bundles (:mod:`~avbench.submission.bundle`), the system description
(:mod:`~avbench.submission.meta`), DCASE packages (:mod:`~avbench.submission.dcase`) and the
upload client (:mod:`~avbench.submission.client`).

Example:
    >>> from avbench.submission import FORMAT
    >>> FORMAT
    'avbench-submission'
"""

from avbench.submission.bundle import FORMAT, Bundle, Limits, build_bundle, read_bundle, validate_bundle
from avbench.submission.meta import check_meta, read_meta

__all__ = ["FORMAT", "Bundle", "Limits", "build_bundle", "read_bundle", "validate_bundle", "check_meta", "read_meta"]
