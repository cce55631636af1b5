"""Run many small independent jobs on an existing Dask cluster, results as they complete.

Used by :func:`avbench.download.youtube.fetch_youtube_clips` with ``executor="dask"`` when one
machine is not enough (AudioSet's unbalanced train set has about 2 M clips). Jobs are grouped in
chunks (one Dask task per chunk, run sequentially inside a worker thread) and at most
``max_pending`` chunks are in flight, so neither the scheduler nor the client holds millions of
futures. Workers only compute and return results; the caller (the client process) records them,
so the manifest has a single writer. Workers must see the same output directory as the client
(a shared filesystem).

Example:
    >>> from distributed import LocalCluster
    >>> with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
    ...                   dashboard_address=":0") as cluster:
    ...     out = sorted(r for _, r, e in map_unordered(abs, [-3, 1, -2], scheduler=cluster.scheduler_address))
    >>> out
    [1, 2, 3]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from avbench.errors import DownloadError, InputError
from avbench.extras import require

__all__ = ["map_unordered", "chunk_size_for"]

T = TypeVar("T")
R = TypeVar("R")


def _run_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(item) for item in chunk]


def chunk_size_for(n_items: int, n_threads: int, *, cap: int = 64) -> int:
    """Items per Dask task: about four tasks per worker thread, between 1 and ``cap``.

    Example:
        >>> chunk_size_for(200, 4), chunk_size_for(2_000_000, 256), chunk_size_for(0, 4)
        (13, 64, 1)
    """
    if n_threads < 1:
        raise InputError(f"dask cluster has {n_threads} worker threads; start workers first")
    return max(1, min(cap, math.ceil(n_items / (4 * n_threads))))


def map_unordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    scheduler: Any,
    chunk_size: int | None = None,
    max_pending: int | None = None,
    connect_timeout: float = 30.0,
) -> Iterator[tuple[T, R | None, BaseException | None]]:
    """Apply ``fn`` to every item on a Dask cluster; yield ``(item, result, None)`` as done.

    When a whole task fails (a worker died, ``fn`` raised) its items are yielded as
    ``(item, None, exception)`` and the others go on.

    Args:
        fn: a picklable function of one item (module-level, or a ``functools.partial`` of one).
        items: the jobs.
        scheduler: the scheduler address (``tcp://host:8786``) or a ``distributed.Client``.
        chunk_size: items per task (default :func:`chunk_size_for`).
        max_pending: tasks in flight at once (default: twice the cluster's threads).
        connect_timeout: seconds to wait for the scheduler.

    Raises:
        MissingExtraError: ``distributed`` is not installed (extra ``dask``).
        DownloadError: the scheduler cannot be reached.
    """
    distributed = require("distributed", "dask")
    own = not isinstance(scheduler, distributed.Client)
    if own:
        if not isinstance(scheduler, str) or not scheduler:
            raise InputError(f"--scheduler must be a Dask scheduler address such as tcp://host:8786, got {scheduler!r}")
        try:
            client = distributed.Client(scheduler, set_as_default=False, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise DownloadError(
                f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc}); "
                "check --scheduler and that the cluster is running"
            ) from None
    else:
        client = scheduler
    pending: dict[Any, Sequence[T]] = {}
    try:
        n_threads = sum(client.nthreads().values())
        size = chunk_size or chunk_size_for(len(items), n_threads)
        limit = max_pending or max(2, 2 * n_threads)
        chunks = iter([items[i : i + size] for i in range(0, len(items), size)])
        done = distributed.as_completed(loop=client.loop)

        def submit_next() -> bool:
            chunk = next(chunks, None)
            if chunk is None:
                return False
            fut = client.submit(_run_chunk, fn, chunk, pure=False)
            pending[fut] = chunk
            done.add(fut)
            return True

        for _ in range(limit):
            if not submit_next():
                break
        for fut in done:
            chunk = pending.pop(fut)
            try:
                results = fut.result()
            except Exception as exc:
                for item in chunk:
                    yield item, None, exc
            else:
                for item, res in zip(chunk, results):
                    yield item, res, None
            fut.release()
            submit_next()
    finally:
        if pending:
            client.cancel(list(pending))
        if own:
            client.close()
