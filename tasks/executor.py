"""Where per-item work runs: this machine's process pool or a Dask cluster (`executor` params).

`dask_client` gives None for the local executor (step 1 keeps its own pool of forked
processes, which share the driver's memory and disk; step 2 runs in one) and a
`dask.distributed` client otherwise: connected to `executor.address`, or to a LocalCluster sized
to this machine when the address is "". Cluster workers share nothing with the driver, so step
1 sends them references to the sources (paths, git object ids, S3 keys), never file bytes; step
2 sends its parts with their text, since its input is one DVC output on the driver (`Parts`).
`map_ordered` gathers the results in submission order: the outputs are byte-identical to the
local executor's. Dask reschedules
the tasks of a worker that dies onto the others, and each task's result is gathered exactly
once, so a lost worker costs its tasks' time and never a count.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from tasks.params import ExecutorParams

if TYPE_CHECKING:
    from dask.distributed import Client

T = TypeVar("T")
CONNECT_TIMEOUT_S = 30
TASKS_PER_THREAD = 4  # in flight per worker thread: enough that none waits for the next task


class ExecutorError(RuntimeError):
    """The configured cluster cannot be reached or started."""


def machine_cpus() -> int:
    """CPUs this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def dask_client(params: ExecutorParams) -> Iterator[Client | None]:
    """None for the local executor; a client of the configured (or a new local) Dask cluster."""
    if params.type == "local":
        yield None
        return
    from dask.distributed import Client

    if params.address:
        try:
            client = Client(params.address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {params.address} (executor.address): {exc}"
            ) from exc
        with client:
            yield client
        return
    with local_cluster(machine_cpus()) as client:
        yield client


@contextmanager
def local_cluster(n_workers: int) -> Iterator[Client]:
    """A client of a new LocalCluster on 127.0.0.1: `n_workers` single-threaded worker
    processes (the per-file work is Python, held by the GIL), no dashboard."""
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def cluster_threads(client: Client) -> int:
    """Worker threads the cluster has now (at least 1: workers may still be joining)."""
    return max(1, sum(client.nthreads().values()))


def map_ordered(
    client: Client, fn: Callable[..., Any], items: Iterable[Any], *args: Any
) -> Iterator[Any]:
    """`fn(item, *args)` for each item on the cluster, yielded in order, a bounded number in flight.

    `items` is consumed lazily, so a driver can list a source while the workers process what it
    has listed so far.
    """
    window = TASKS_PER_THREAD * cluster_threads(client)
    pending: deque = deque()
    try:
        for item in items:
            pending.append(client.submit(fn, item, *args, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if pending:
            client.cancel(list(pending))


def serial_map(fn: Callable[..., T], items: Iterable[Any], *args: Any) -> Iterator[T]:
    """`fn(item, *args)` for each item, in order, in this process."""
    for item in items:
        yield fn(item, *args)


def _itself(value: T) -> T:
    return value


@dataclass(frozen=True)
class Parts:
    """How a step runs its work in parts: `map(fn, items, *args)` yields `fn(item, *args)` in
    order; `share(value)` is what to pass as an argument that every part uses (on a cluster a
    future of the value, sent to each worker once instead of with each part)."""

    map: Callable[..., Iterator[Any]] = serial_map
    share: Callable[[Any], Any] = _itself


IN_PROCESS = Parts()


def parts_of(client: Client | None) -> Parts:
    """In this process without a client; on the client's cluster, in order, otherwise."""
    if client is None:
        return IN_PROCESS
    return Parts(
        map=partial(map_ordered, client),
        share=partial(_broadcast, client),
    )


def _broadcast(client: Client, value: Any) -> Any:
    return client.scatter(value, broadcast=True, hash=False)
