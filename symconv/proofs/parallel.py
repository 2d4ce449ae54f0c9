r"""Prove theorems on several processes at once, in an order the dependency graph allows.

A theorem's status depends on its lemmas' statuses (a proof that uses a lemma only ``checked`` is
itself only ``checked``), so a theorem is handed to a worker once all its lemmas are done, with
their statuses. Workers are forked from the calling process (they inherit the registered theorems
and any warm caches) and keep their own caches from one theorem to the next, so an idle worker
prefers a ready theorem whose lemma it proved itself (the lemma's grid built the matrices the
theorem's grid reads), then the one with most dependants. Each worker sends back the
:class:`~symconv.proofs.engine.Result` without its ``theorem`` (whose proof and grid are closures,
which do not pickle); the caller re-attaches its own registered theorem.

Examples
--------
>>> from symconv.proofs import prove_all
>>> names = ["dv_rel_03", "round_trip"]
>>> [r.status for r in prove_all_parallel(names, grid="quick", workers=2)] == \
...     [r.status for r in prove_all(names, grid="quick")]
True
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Iterable

import networkx as nx

from . import engine
from .engine import GRID_LEVELS, Result

__all__ = ["prove_all_parallel", "default_workers"]


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _prove_detached(name: str, lemma_status: dict[str, str], level: str) -> Result:
    """Worker: prove one registered theorem given its lemmas' statuses; drop the (unpicklable)
    theorem from the result."""
    result = engine.prove_one(engine.theorem(name), lemma_status, level)
    return replace(result, theorem=None)


def _needed(graph: nx.DiGraph, wanted: list[str]) -> set[str]:
    """The wanted theorems and every lemma they rest on, transitively."""
    out = set(wanted)
    for name in wanted:
        out |= nx.ancestors(graph, name)
    return out


def _validate(names: Iterable[str] | None, grid: str, workers: int | None) -> tuple[list[str], int]:
    if grid not in GRID_LEVELS:
        raise ValueError(f"prove: grid must be one of {', '.join(GRID_LEVELS)}, got grid={grid!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
        raise TypeError(f"prove: workers must be an int or None, got workers={workers!r}")
    if workers is not None and workers < 1:
        raise ValueError(f"prove: workers must be >= 1, got workers={workers}")
    order = engine.theorems()
    if names is None:
        return order, workers or default_workers()
    names = list(names)
    for name in names:
        engine.theorem(name)                      # ValueError for an unknown name
    chosen = set(names)
    return [n for n in order if n in chosen], workers or default_workers()


def prove_all_parallel(names: Iterable[str] | None = None, grid: str = "full",
                       workers: int | None = None) -> list[Result]:
    r"""Like :func:`~symconv.proofs.engine.prove_all` (same results, same order), on ``workers``
    processes.

    Parameters
    ----------
    names : iterable of str, optional
        Theorems to prove (default: all); their lemmas are proved too but not returned.
    grid : {'full', 'quick'}
        Grid level, as for :func:`~symconv.proofs.engine.prove`.
    workers : int, optional
        Worker processes (default: the available cores). With one worker, or where the ``fork``
        start method does not exist, the theorems are proved serially in this process.

    Returns
    -------
    list of Result
        In topological order, as ``prove_all``; ``result.theorem`` is the registered theorem.

    Raises
    ------
    ValueError
        For an unknown theorem name, grid level, or ``workers < 1``.
    TypeError
        For a non-integer ``workers``.

    Notes
    -----
    If the engine keeps its results in a dict ``engine._RESULTS`` keyed by ``(name, grid)``, the
    results found there are reused and the new ones stored, so that a later
    :func:`~symconv.proofs.engine.prove` (the derivations call it per theorem) finds them.
    """
    wanted, workers = _validate(names, grid, workers)
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return engine.prove_all(wanted, grid, workers=1)
    graph = engine.dependency_graph()
    needed = _needed(graph, wanted)
    cache = getattr(engine, "_RESULTS", None)          # the engine's results by (name, grid), if it keeps one
    known = {n: cache[(n, grid)] for n in needed if (n, grid) in cache} if cache is not None else {}
    results = dict(known)
    if len(known) < len(needed):
        _import_what_workers_use()
        with _frozen_heap():
            _prepare(needed - set(known), workers)
            with _Workers(min(workers, len(needed) - len(known)), grid) as pool:
                results = _schedule(graph, needed, pool, known)
    for name, result in results.items():
        if name not in known:
            results[name] = replace(result, theorem=engine.theorem(name))
            if cache is not None:
                cache.setdefault((name, grid), results[name])
    return [results[n] for n in wanted]


def _import_what_workers_use() -> None:
    """Import here, once, the modules the proofs import lazily (~0.2 s), so the forked workers inherit
    them instead of each importing them: SymPy's ``solve`` imports ``sympy.physics.units``, and
    ``lambdify`` NumPy's whole namespace. (Here the caller usually waits for the prewarm pool anyway.)"""
    import sympy as sp
    import sympy.physics.units  # noqa: F401
    sp.lambdify([], 0, "numpy")


class _frozen_heap:
    """Move every object alive now out of the cyclic garbage collector's reach while processes fork.

    The forked processes (the prepare pool, the proof workers) inherit the loaded theorems, SymPy's
    caches and the prewarmed matrices; without this, every full collection in every process walks all
    of them again (measured: the prepare phase took 3.6-3.9 s instead of 2.3-2.4 s). Garbage is
    collected first, and the heap is unfrozen again on the way out, so the caller's process is as before.
    """

    def __enter__(self) -> None:
        gc.collect()
        gc.freeze()

    def __exit__(self, *exc: object) -> None:
        gc.unfreeze()


def _prepare(names: set[str], workers: int) -> None:
    """Run each distinct ``grid.prepare`` of the theorems to prove (shared caches, built in parallel)."""
    for prepare in dict.fromkeys(thm.grid.prepare for thm in map(engine.theorem, sorted(names))
                                 if thm.grid is not None and thm.grid.prepare is not None):
        prepare(workers)


def _schedule(graph: nx.DiGraph, needed: set[str], pool: "_Workers",
              known: dict[str, Result]) -> dict[str, Result]:
    """Hand out ready theorems to idle workers until all of ``needed`` is proved.

    A worker keeps the caches of what it proved (core-model matrices, SymPy's cache), so an idle
    worker takes, among the ready theorems, one whose lemma it proved itself if there is one; then
    the one with most dependants (it unblocks most); then the first in topological order.
    """
    results: dict[str, Result] = dict(known)
    proved_on: dict[str, int] = {}
    waiting = {n: {u for u in graph.predecessors(n) if u in needed and u not in known}
               for n in needed if n not in known}
    dependants = {n: len(nx.descendants(graph, n) & needed) for n in needed}
    position = {n: j for j, n in enumerate(nx.topological_sort(graph))}
    ready = {n for n, deps in waiting.items() if not deps}
    while ready or pool.busy:
        for worker in pool.idle():
            if not ready:
                break
            name = max(ready, key=lambda n: (any(proved_on.get(u) == worker for u in graph.predecessors(n)),
                                             dependants[n], -position[n]))
            ready.discard(name)
            pool.submit(worker, name, {u: results[u].status for u in graph.predecessors(name)})
        worker, name, result = pool.next_done()
        results[name], proved_on[name] = result, worker
        for child in graph.successors(name):
            if child in waiting:
                waiting[child].discard(name)
                if not waiting[child]:
                    ready.add(child)
    return results


def _serve(conn: Connection, level: str) -> None:
    """Worker loop: prove the theorems sent until ``None`` arrives."""
    while True:
        try:
            task = conn.recv()
        except EOFError:                              # the caller is gone
            return
        if task is None:
            return
        name, lemma_status = task
        try:
            result = _prove_detached(name, lemma_status, level)
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller
            try:
                conn.send(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")))
        else:
            conn.send(("ok", result))


class _Workers:
    """Forked worker processes, one duplex pipe each, that the scheduler addresses by index."""

    def __init__(self, count: int, level: str):
        context = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.procs: list = []
        for _ in range(count):
            parent, child = context.Pipe()
            proc = context.Process(target=_serve, args=(child, level))
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
        self.tasks: dict[int, str] = {}

    @property
    def busy(self) -> bool:
        return bool(self.tasks)

    def idle(self) -> list[int]:
        return [w for w in range(len(self.conns)) if w not in self.tasks]

    def submit(self, worker: int, name: str, lemma_status: dict) -> None:
        self.conns[worker].send((name, lemma_status))
        self.tasks[worker] = name

    def next_done(self) -> tuple[int, str, Result]:
        """The next finished task: (worker, theorem name, result)."""
        by_conn = {self.conns[w]: w for w in self.tasks}
        conn = wait(list(by_conn))[0]
        worker = by_conn[conn]
        name = self.tasks.pop(worker)
        try:
            kind, payload = conn.recv()
        except EOFError:
            raise RuntimeError(f"prove: the worker proving {name!r} died "
                               f"(exit code {self.procs[worker].exitcode})") from None
        if kind == "error":
            raise payload
        return worker, name, payload

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        for conn, proc in zip(self.conns, self.procs):
            if exc[0] is None:
                conn.send(None)
            else:
                proc.terminate()
        for conn, proc in zip(self.conns, self.procs):
            proc.join()
            conn.close()
