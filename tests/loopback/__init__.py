"""Reusable loopback servers for offline download tests (see :mod:`loopback.servers`).

Import as ``from loopback import LoopbackServer`` (pytest puts ``tests/`` on ``sys.path``), or use
the ``loopback`` fixture of ``tests/conftest.py``, which also points ``AVBENCH_ZENODO_URL``,
``AVBENCH_GDRIVE_URL`` and ``HF_ENDPOINT`` at the server and makes retries fast.
"""

from loopback.servers import (
    Blob,
    LoopbackServer,
    SlowTLSServer,
    corrupt,
    encoded,
    git_blob_id,
    gzip_body,
    hang,
    ignore_range,
    page,
    page_as_binary,
    slow_headers,
    stall,
    status,
    trickle,
    truncate,
    wrong_start,
)

__all__ = ["Blob", "LoopbackServer", "SlowTLSServer", "corrupt", "encoded", "git_blob_id", "gzip_body", "hang",
           "ignore_range", "page", "page_as_binary", "slow_headers", "stall", "status", "trickle", "truncate", "wrong_start"]
