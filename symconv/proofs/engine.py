r"""The proof engine: the registry of theorems, the dependency graph, and proving.

The theorems (:mod:`symconv.proofs.theorem_types`) are listed, in order, by
:mod:`symconv.proofs.catalogue`; the registry loads that list on first use, and :func:`register` adds a
user's own theorem after it.

:func:`prove` verifies every step with its rule (:mod:`symconv.proofs.rules`), checks that the
steps establish the statement, runs the grid, and returns a :class:`Result` whose status is

* ``proved`` -- every step verified, the statement established, every lemma proved, grid agrees;
* ``checked`` -- the grid agrees but there is no symbolic proof (``reason`` says why) or a lemma
  used is only checked;
* ``failed`` -- a step SymPy cannot verify, the steps do not establish the statement, or a grid
  counterexample (the smallest is reported).

Examples
--------
>>> from symconv.proofs import prove
>>> result = prove("conv_output_size")
>>> result.status
'proved'
"""
from __future__ import annotations

import gc
import time
from functools import lru_cache
from typing import Any, Callable, Iterable

import networkx as nx
import numpy as np
import sympy as sp

from ..smt import SMTVerdict, check_relation
from .decide import Context, prove_holds, same
from .evaluate import statement_checker
from .rules import evaluate_library
from .theorem_types import Grid, Result, Step, StepResult, Theorem

__all__ = ["register", "theorem", "theorems", "prove", "prove_all", "check_claim", "dependency_graph",
           "export_graph", "trivial_reason", "run_grid", "STATUSES", "GRID_LEVELS", "QUICK_MAX_I", "Result"]

STATUSES = ("proved", "checked", "failed")


# --------------------------------------------------------------------------- grids


def _equal(a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:             # the size theorems' common case
        return a == b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool((a == b).all())
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return int(v) if float(v).is_integer() else float(v)
    if isinstance(v, sp.Basic):
        return int(v) if v.is_Integer else str(v)
    return v


#: Grid levels: ``'full'`` (the documented grids) or ``'quick'`` (only configurations whose input sizes
#: are all <= QUICK_MAX_I; for tests).
GRID_LEVELS = ("full", "quick")
QUICK_MAX_I = 3


def _small(cfg: dict) -> bool:
    sizes = cfg.get("i", 1)
    return max(sizes) <= QUICK_MAX_I if isinstance(sizes, tuple) else sizes <= QUICK_MAX_I


def run_grid(grid: Grid, level: str = "full", statement: Callable[[dict], bool | None] | None = None
             ) -> tuple[int, dict | None, int]:
    """Number of configurations checked, the first (smallest) counterexample if any, and on how many
    configurations ``statement`` (a :func:`~symconv.proofs.evaluate.statement_checker`) was evaluated."""
    if level not in GRID_LEVELS:
        raise ValueError(f"prove: grid must be one of {', '.join(GRID_LEVELS)}, got grid={level!r}")
    # The grid allocates many short-lived acyclic objects next to large caches: the cyclic garbage
    # collector's full passes over those caches cost more than the grid itself, so pause it meanwhile.
    paused = gc.isenabled()
    gc.disable()
    try:
        count = evaluated = 0
        configs = [cfg for cfg in grid.configs() if level != "quick" or _small(cfg)]
        batch = getattr(statement, "batch", None)
        verdicts = batch(configs) if batch is not None else None      # the same verdicts, all at once
        for position, cfg in enumerate(configs):
            count += 1
            if statement is not None:
                verdict = statement(cfg) if verdicts is None else verdicts[position]
                if verdict is False:
                    return count, {"config": _jsonable(cfg), "statement": False}, evaluated
                evaluated += verdict is True
            lhs, rhs = grid.lhs(cfg), grid.rhs(cfg)
            if not _equal(lhs, rhs):
                return count, {"config": _jsonable(cfg), "lhs": _jsonable(lhs), "rhs": _jsonable(rhs)}, evaluated
        return count, None, evaluated
    finally:
        if paused:
            gc.enable()

# --------------------------------------------------------------------------- registry and graph


_REGISTRY: dict[str, Theorem] = {}


def trivial_reason(statement: Any) -> str | None:
    """Why a statement is trivially true (it evaluates to ``True``, or a relation has identical sides),
    else ``None``: such a statement certifies nothing and is refused.

    Examples
    --------
    >>> from symconv.symbols import i, k
    >>> trivial_reason(sp.Eq(i - k, i - k, evaluate=False))
    'the relation Eq(i - k, i - k) has identical sides'
    >>> trivial_reason(sp.Eq(i, k)) is None
    True
    """
    statement = sp.sympify(statement)
    try:
        return _TRIVIAL[statement]
    except (KeyError, TypeError):
        pass
    reason = _trivial_reason(statement)
    try:
        _TRIVIAL[statement] = reason
    except TypeError:                                  # an unhashable statement: not remembered
        pass
    return reason


#: trivial_reason's verdicts by statement: registration and every prove ask it of the same statements.
_TRIVIAL: dict = {}


def _trivial_reason(statement: Any) -> str | None:
    if statement is sp.true or statement == True:  # noqa: E712 - SymPy's true and Python's True
        return "the statement evaluates to True"
    for claim in _conjuncts(statement):
        if claim is sp.true:
            return "a conjunct of the statement evaluates to True"
        if isinstance(claim, sp.core.relational.Relational):
            if claim.lhs == claim.rhs:
                return f"the relation {claim} has identical sides"
            if type(claim)(claim.lhs, claim.rhs) is sp.true:
                return f"the relation {claim} evaluates to True"
            continue
        if not (isinstance(claim, sp.Basic) and claim.free_symbols):   # Or / Implies over symbols: fine
            return f"the conjunct {claim} is not a relation"
    return None


def register(thm: Theorem) -> Theorem:
    """Add a theorem to the registry (names are unique; a trivially true statement is refused)."""
    _load()
    if thm.name in _REGISTRY:
        raise ValueError(f"register: a theorem named {thm.name!r} already exists")
    why = trivial_reason(thm.statement)
    if why is not None:
        raise ValueError(f"register: theorem {thm.name!r} has a trivial statement: {why}")
    _REGISTRY[thm.name] = thm
    return thm


#: The registries the catalogue was loaded into (a test may swap the registry for a copy).
_LOADED_INTO: list[dict] = []


def _loaded() -> bool:
    return any(registry is _REGISTRY for registry in _LOADED_INTO)


def _load() -> None:
    """Register the catalogue's theorems, in its order, once (before any theorem a user registers)."""
    if _loaded():
        return
    _LOADED_INTO.append(_REGISTRY)
    from .catalogue import catalogue
    for thm in catalogue():
        if _REGISTRY.get(thm.name) is not thm:
            register(thm)


def theorem(name: str) -> Theorem:
    """The registered theorem called ``name``."""
    _load()
    if name not in _REGISTRY:
        raise ValueError(f"prove: unknown theorem {name!r}; symconv.proofs.theorems() lists them")
    return _REGISTRY[name]


def theorems() -> list[str]:
    """Names of all theorems and lemmas, in a topological order of the dependency graph.

    Examples
    --------
    >>> names = theorems()
    >>> names.index("conv_output_size") < names.index("dv_rel_06")
    True
    """
    return list(nx.topological_sort(dependency_graph()))


def dependency_graph() -> nx.DiGraph:
    """The DiGraph lemma -> theorem over all registered theorems; a cycle raises ``ValueError``.

    Node attributes: ``kind``, ``family``, ``title``.
    """
    _load()
    graph = nx.DiGraph()
    for name, thm in _REGISTRY.items():
        graph.add_node(name, kind=thm.kind, family=thm.family, title=thm.title)
    for name, thm in _REGISTRY.items():
        for used in thm.uses:
            if used not in _REGISTRY:
                raise ValueError(f"dependency graph: {name!r} uses unknown lemma {used!r}")
            graph.add_edge(used, name)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return graph
    raise ValueError("dependency graph: cycle " + " -> ".join(f"{u}" for u, _ in cycle) + f" -> {cycle[0][0]}")


def export_graph(format: str = "json") -> Any:
    """The dependency graph for a figure: node-link ``dict`` (``'json'``) or Graphviz source (``'dot'``).

    Examples
    --------
    >>> export_graph("dot").splitlines()[0]
    'digraph theorems {'
    """
    graph = dependency_graph()
    if format == "json":
        return nx.node_link_data(graph, edges="edges")
    if format == "dot":
        lines = ["digraph theorems {", "  rankdir=LR;"]
        for node, data in graph.nodes(data=True):
            shape = "ellipse" if data["kind"] == "lemma" else "box"
            lines.append(f'  "{node}" [shape={shape}, label="{node}\\n({data["family"]})"];')
        lines += [f'  "{u}" -> "{v}";' for u, v in graph.edges()]
        lines.append("}")
        return "\n".join(lines)
    raise ValueError(f"export_graph: format must be 'json' or 'dot', got format={format!r}")


# --------------------------------------------------------------------------- proving


def _conjuncts(statement: Any) -> list:
    statement = sp.sympify(statement)
    return list(statement.args) if isinstance(statement, sp.And) else [statement]


_COMBINE = {("=", "="): "=", ("=", "<="): "<=", ("<=", "="): "<=", ("<=", "<="): "<=", ("=", "<"): "<",
            ("<", "="): "<", ("<", "<="): "<", ("<=", "<"): "<", ("<", "<"): "<"}


def _established(steps: list) -> list[tuple[Any, str, Any]]:
    """Chains of consecutive steps (``after`` of one is ``before`` of the next) as (start, rel, end)."""
    out: list = []
    chain: list | None = None
    for st in steps:
        if chain is not None and chain[2] == st.before and (chain[1], st.rel) in _COMBINE:
            chain = [chain[0], _COMBINE[(chain[1], st.rel)], st.after]
        else:
            if chain is not None:
                out.append(tuple(chain))
            chain = [st.before, st.rel, st.after]
        out.append((st.before, st.rel, st.after))
    if chain is not None:
        out.append(tuple(chain))
    return out


def _covers(claim: Any, facts: list, ctx: Context) -> bool:
    claim = sp.sympify(claim)
    if claim is sp.true:
        return True
    flips = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "=": "=", "!=": "!="}
    kinds = {sp.Eq: "=", sp.Le: "<=", sp.Lt: "<", sp.Ge: ">=", sp.Gt: ">", sp.Ne: "!="}
    kind = kinds.get(type(claim))
    if kind is None:
        return False
    oriented = [(a, r, b) for start, rel, end in facts for a, r, b in ((start, rel, end), (end, flips[rel], start))
                if r == kind or (kind == "<=" and r in ("<", "=")) or (kind == ">=" and r in (">", "="))]
    if any(a == claim.lhs and b == claim.rhs for a, _r, b in oriented):       # structural match first
        return True
    return any(same(a, claim.lhs, ctx) and same(b, claim.rhs, ctx) for a, _r, b in oriented)


def _run_proof(thm: Theorem) -> tuple[list[StepResult], str]:
    """Verify every step; return the step results and the reason the proof fails ('' if none)."""
    ctx = thm.context
    try:
        steps = list(thm.proof())
    except (TypeError, ValueError, AttributeError, NotImplementedError) as exc:
        return [], f"building the proof raised {type(exc).__name__}: {exc}"
    results, reason = [], ""
    lemma_facts = [(c.lhs, "=", c.rhs, theorem(u)) for u in thm.uses for c in _conjuncts(theorem(u).statement)
                   if isinstance(c, sp.Eq)]
    for n, st in enumerate(steps, 1):
        t0 = time.perf_counter()
        if st.rule == "use":
            why = _check_use(st, [(*fact, None) for fact in _established(steps[: n - 1])] + lemma_facts, ctx)
        else:
            why = st.verify(ctx)
        results.append(StepResult(st, why is None, why, time.perf_counter() - t0))
        if why is not None and not reason:
            reason = f"step {n} ({st.rule}) not verified: {why}"
    if reason:
        return results, reason
    facts = _established(steps)
    for claim in _conjuncts(thm.statement):
        if not _covers(claim, facts, ctx):
            return results, f"the steps do not establish {claim}"
    return results, ""


def _check_use(st: Step, facts: list, ctx: Context) -> str | None:
    """Rule ``use``: the step rewrites with an equation established earlier in the proof or stated
    by a lemma, instantiated by ``inst`` (free symbols of an identity may be renamed)."""
    if st.rel != "=":
        return f"use: rewriting with an equation establishes an equality, not {st.rel!r}"
    params = dict(st.params)
    inst = dict(params.get("inst", {}))
    lhs, rhs = sp.sympify(params["eq"][0]), sp.sympify(params["eq"][1])
    matching = [source for a, rel, b, source in facts
                if rel == "=" and ((same(a, lhs, ctx) and same(b, rhs, ctx)) or (same(a, rhs, ctx) and same(b, lhs, ctx)))]
    if not matching:
        return f"use: {lhs} = {rhs} is neither an earlier step nor a lemma's statement"
    # the equation holds under its own assumptions (the lemma's, or this proof's for an earlier step):
    # they must hold here for the instantiated symbols
    if not any(_assumptions_hold(source, inst, thm_ctx=ctx) for source in matching):
        return "use: the equation's assumptions are not shown to hold for this instance"
    lhs_i, rhs_i = lhs.xreplace(inst), rhs.xreplace(inst)
    before = sp.sympify(st.before)
    for old, new in ((lhs_i, rhs_i), (rhs_i, lhs_i)):
        if same(before.xreplace({old: new}), st.after, ctx) or (same(before, old, ctx) and same(st.after, new, ctx)):
            return None
    return "use: the step is not an instance of the equation"


def _assumptions_hold(source: "Theorem | None", inst: dict, thm_ctx: Context) -> bool:
    """The assumptions an equation was established under (a lemma's, or for an earlier step of this proof
    ``thm_ctx``'s own) hold, instantiated by ``inst``, under ``thm_ctx``."""
    if source is None:
        if not inst:
            return True
        relations = [rel for rg in thm_ctx.ranges for rel in rg.relations()]
        relations += [sp.Eq(key, value) for key, value in thm_ctx.equalities]
    else:
        relations = source.assumption_relations()
    for old, new in inst.items():                # the symbols' own sign assumptions
        if getattr(old, "is_positive", None):
            relations.append(sp.Ge(old, 1))
        elif getattr(old, "is_nonnegative", None):
            relations.append(sp.Ge(old, 0))
    return all(prove_holds(sp.sympify(rel).xreplace(inst), thm_ctx) for rel in relations)


def prove_one(thm: Theorem, lemma_status: dict[str, str], level: str = "full") -> Result:
    t0 = time.perf_counter()
    trivial = trivial_reason(thm.statement)
    if trivial is not None:
        return Result(thm, "failed", (), time.perf_counter() - t0, 0.0, 0.0, 0, None,
                      f"refused: trivial statement ({trivial})")
    steps: list = []
    reason = ""
    symbolic = thm.proof is not None
    if symbolic:
        steps, reason = _run_proof(thm)
    t1 = time.perf_counter()
    count, counterexample, evaluated = (0, None, 0)
    if thm.grid is not None:
        checker = statement_checker(evaluate_library(thm.statement), tuple(rel for rg in thm.assumptions for rel in rg.relations()),
                                    tuple(thm.equalities), thm.grid.bind)
        count, counterexample, evaluated = run_grid(thm.grid, level, checker)
    t2 = time.perf_counter()
    verdict = smt_check(thm)
    if verdict.status == "refuted":
        status = "failed"
        reason = "; ".join(filter(None, [reason, f"Z3 refutes the statement at {verdict.counterexample}"]))
    elif counterexample is not None:
        status, reason = "failed", reason or f"grid counterexample after {count} configurations"
    elif symbolic and reason:
        status = "failed"
    elif not symbolic and (verdict.status != "certified" or thm.grid_claim):
        status, reason = "checked", thm.reason or "no symbolic proof"
    else:
        weak = [u for u in thm.uses if lemma_status.get(u) != "proved"]
        failed = [u for u in weak if lemma_status.get(u) == "failed"]
        if failed:
            status, reason = "failed", "uses failed lemma " + ", ".join(failed)
        elif weak:
            status, reason = "checked", "uses lemma(s) only checked: " + ", ".join(weak)
        else:
            status = "proved"
    return Result(thm, status, tuple(steps), time.perf_counter() - t0, t1 - t0, t2 - t1, count, counterexample,
                  reason, verdict.status, verdict.reason, verdict.counterexample, verdict.seconds, evaluated,
                  _grid_only(thm, status, verdict.status, evaluated))


def _grid_only(thm: Theorem, status: str, smt: str, evaluated: int) -> str:
    """Which part of the claim rests on the grid alone (empty when a prover covers all of it)."""
    if status == "failed" or thm.grid is None:
        return ""
    proved = thm.proof is not None and status == "proved"
    if proved or smt == "certified":
        return ""
    parts = ["the whole statement" if evaluated else "the statement, through the grid's independent definitions"]
    if smt == "bounded":
        parts.append("beyond Z3's bounded search")
    return "; ".join(parts)


#: Per-query limits of the Z3 check: a resource limit (deterministic: the same verdict however busy the
#: machine is) and a generous wall-clock guard.
SMT_RLIMIT = 2_000_000
SMT_TIMEOUT_MS = 20000


def smt_check(thm: Theorem) -> SMTVerdict:
    """Z3's verdict on the theorem's statement under its assumptions over unbounded integers
    (:func:`symconv.smt.check_relation`): ``certified``, ``bounded``, ``refuted``, ``unknown`` or ``n/a``."""
    return check_relation(evaluate_library(thm.statement), thm.assumption_relations(), timeout_ms=SMT_TIMEOUT_MS,
                          rlimit=SMT_RLIMIT)


#: Results proved by :func:`~symconv.proofs.parallel.prove_all_parallel`'s workers, by (name, level).
_RESULTS: dict[tuple[str, str], Result] = {}


@lru_cache(maxsize=None)
def _prove_registered(name: str, level: str = "full") -> Result:
    if (name, level) in _RESULTS:
        return _RESULTS[(name, level)]
    thm = theorem(name)
    lemma_status = {u: _prove_registered(u, level).status for u in thm.uses}
    return prove_one(thm, lemma_status, level)


def prove(name: Any, grid: str = "full") -> Result:
    """Prove a registered theorem by name (its lemmas first) or a :class:`Theorem` object (e.g. a
    :meth:`Theorem.variant`). ``grid='quick'`` checks only the grid configurations with input sizes
    <= ``QUICK_MAX_I`` (for tests); results are cached per (name, grid).

    Examples
    --------
    >>> prove("dv_rel_03").status
    'proved'
    """
    if grid not in GRID_LEVELS:
        raise ValueError(f"prove: grid must be one of {', '.join(GRID_LEVELS)}, got grid={grid!r}")
    if isinstance(name, Theorem):
        lemma_status = {u: _prove_registered(u, grid).status for u in name.uses}
        return prove_one(name, lemma_status, grid)
    return _prove_registered(name, grid)


def load_for_proving(workers: int | None = None) -> None:
    """Load the theorems; when they are not loaded yet and several ``workers`` will prove them (default:
    the usable cores), first start building the full grids' matrices in a forked pool
    (:func:`~symconv.proofs.grid.start_prewarm`), so that loading does not leave the other cores idle.
    :func:`prove_all` of every theorem begins with it; a caller that forks other work meanwhile (the
    derivations draw their figures) calls it first, so that the fork inherits the loaded theorems."""
    if workers != 1 and not _loaded():
        from .grid import start_prewarm
        from .parallel import default_workers
        start_prewarm(workers or default_workers())
    _load()


def prove_all(names: Iterable[str] | None = None, grid: str = "full", workers: int | None = None) -> list[Result]:
    """Results for ``names`` (default: every theorem), in topological order.

    ``workers`` processes prove independent theorems at once (default: the usable cores; ``1``: in
    this process); results are remembered for later :func:`prove` calls."""
    if names is None and grid == "full":
        load_for_proving(workers)
    order = theorems()
    if names is not None:
        names = list(names)
        for n in names:
            theorem(n)
    wanted = order if names is None else [n for n in order if n in set(names)]
    if workers != 1 and sum((n, grid) not in _RESULTS for n in wanted) > 2:
        from .parallel import prove_all_parallel
        return prove_all_parallel(wanted, grid=grid, workers=workers)     # fills _RESULTS
    return [prove(n, grid) for n in wanted]


def check_claim(base: str, *, name: str | None = None, lhs: Any = None, rhs: Any = None,
                grid: str = "full") -> Result:
    """Run a user-supplied variant of theorem ``base`` (grid only): replace a side by a callable
    ``cfg -> value`` or a SymPy expression in the configuration's letters.

    Examples
    --------
    >>> from symconv.symbols import i, k, s, d, p_b, p_a, a
    >>> wrong = s*(i - 1) + d*(k - 1) + 1 + p_b + p_a + a
    >>> result = check_claim("transpose_output_size", rhs=wrong)
    >>> result.status, result.counterexample["config"]["p_b"] + result.counterexample["config"]["p_a"] > 0
    ('failed', True)
    """
    return prove(theorem(base).variant(name, lhs=lhs, rhs=rhs), grid)
