r"""What a proof is made of: :class:`Theorem`, :class:`Step`, :class:`Grid`, and the :class:`Result` of proving.

A :class:`Theorem` has a name, a statement (a SymPy relation, or an ``And`` of them), assumptions
(integer symbols with ranges), a proof (ordered :class:`Step` s, each with the expression before,
after, and the rule used), the lemmas it uses, and a :class:`Grid` -- an exhaustive set of small
concrete configurations on which the statement is evaluated and both sides are computed with the
matrices of the core model. The theorem modules build these objects; :mod:`symconv.proofs.engine`
registers and proves them.

Examples
--------
>>> from symconv.symbols import i, s
>>> Step(s*sp.floor(i/s) + sp.Mod(i, s), i, "floor-mod").relation()
Eq(s*floor(i/s) + Mod(i, s), i)
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import numpy as np
import sympy as sp

from ..symbols import BY_NAME
from .decide import Context
from .rules import check_step

__all__ = ["Step", "step", "Grid", "Theorem", "StepResult", "Result", "evaluate_expr"]


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    r"""One proof step: ``before rel after`` by ``rule``.

    ``params`` are the rule's arguments (a substitution, the re-indexing map, the variable
    differentiated by...). ``why`` is a short human justification for the write-up.

    Examples
    --------
    >>> from symconv.symbols import i, s
    >>> step = Step(s*sp.floor(i/s) + sp.Mod(i, s), i, "floor-mod", "division with remainder")
    >>> step.verify(Context()) is None
    True
    """

    before: Any
    after: Any
    rule: str
    why: str = ""
    rel: str = "="
    params: tuple = ()

    def verify(self, ctx: Context) -> str | None:
        """``None`` when SymPy verifies the step under ``ctx``, else the reason."""
        return check_step(self.rule, self.before, self.after, ctx, **dict(self.params), rel=self.rel)

    def relation(self) -> sp.Basic:
        """The step as a SymPy relation (unevaluated)."""
        ops = {"=": sp.Eq, "<=": sp.Le, "<": sp.Lt, ">=": sp.Ge, ">": sp.Gt, "!=": sp.Ne}
        return ops[self.rel](self.before, self.after, evaluate=False)

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {sp.latex(self.relation())}\\quad\\text{{({self.rule})}}$"


def step(before: Any, after: Any, rule: str, why: str = "", rel: str = "=", **params: Any) -> Step:
    """Build a :class:`Step` with keyword parameters for its rule."""
    return Step(sp.sympify(before), sp.sympify(after), rule, why, rel, tuple(params.items()))

# --------------------------------------------------------------------------- grids


@dataclass(frozen=True)
class Grid:
    """A finite set of concrete configurations and the two sides of the statement on each.

    ``configs()`` yields dicts smallest first (so the first failure is the smallest
    counterexample); ``lhs(cfg)`` and ``rhs(cfg)`` compute the sides (ints, tuples or arrays).
    ``prepare(workers)``, if given, warms caches the sides read, on that many processes; the
    parallel prover calls it once before forking its workers, so they share the result.
    """

    description: str
    configs: Callable[[], Iterable[dict]]
    lhs: Callable[[dict], Any]
    rhs: Callable[[dict], Any]
    bind: Callable[[dict], dict] | None = None
    prepare: Callable[[int], Any] | None = None


def evaluate_expr(expr: sp.Basic, cfg: dict) -> Any:
    """Evaluate a SymPy size expression on a configuration (keys are the paper's letters)."""
    mapping = {BY_NAME.get(name, sp.Symbol(name)): value for name, value in cfg.items()
               if isinstance(value, (int, np.integer))}
    mapping.update({sym: cfg[sym.name] for sym in expr.free_symbols if sym.name in cfg})
    value = sp.sympify(expr).subs(mapping)
    return int(value) if value.is_Integer else value

# --------------------------------------------------------------------------- theorems and results


@dataclass(frozen=True)
class Theorem:
    r"""A statement with assumptions, a proof, the lemmas it uses and a grid cross-check.

    Attributes
    ----------
    name : str
        Identifier (``symconv prove NAME``).
    title : str
        One line for tables and the write-up.
    statement : sympy.Basic
        A relation (``Eq``, ``Le`` ...) or an ``And`` of them; matrix identities are stated entrywise.
    assumptions : tuple of Range
        Integer symbols with ranges (symbols' own sign assumptions apply too).
    equalities : tuple of (symbol, expr)
        Special-case assumptions (``s = 1``) and parametrisations (``i = k + s n``).
    proof : callable or None
        Returns the list of :class:`Step`; ``None`` when there is no symbolic proof (then ``reason``).
    uses : tuple of str
        Lemmas (other theorems) the proof relies on.
    grid : Grid or None
    family : int
        The issue's theorem number (1-13).
    kind : {'theorem', 'lemma'}
    reason : str
        Why the symbolic proof is missing (status ``checked``).
    reference : str
        Literature (e.g. "Dumoulin & Visin, Rel. 6").
    grid_claim : bool
        A variant whose claim is a replaced grid side (:func:`check_claim`): only the grid checks it, so
        Z3's verdict on the (unchanged) statement does not make it ``proved``.
    """

    name: str
    title: str
    statement: Any
    assumptions: tuple = ()
    equalities: tuple = ()
    proof: Callable[[], list] | None = field(default=None, repr=False)
    uses: tuple = ()
    grid: Grid | None = field(default=None, repr=False)
    family: int = 0
    kind: str = "theorem"
    reason: str = ""
    reference: str = ""
    grid_claim: bool = False

    @property
    def context(self) -> Context:
        """The assumptions as a verification context."""
        return Context(tuple(self.assumptions), tuple(self.equalities))

    def assumption_relations(self) -> list:
        """Assumptions as SymPy relations (ranges, then equalities)."""
        out = [rel for rg in self.assumptions for rel in rg.relations()]
        out += [sp.Eq(sym, value, evaluate=False) for sym, value in self.equalities]
        return out

    def variant(self, name: str | None = None, *, lhs: Any = None, rhs: Any = None, statement: Any = None,
                proof: Callable[[], list] | None = None, reason: str = "user-supplied variant") -> "Theorem":
        """A user-supplied variant: replace a side of the grid check (a callable ``cfg -> value`` or
        a SymPy expression in the configuration's letters) and/or the statement and proof.

        A variant without a proof is grid-checked only: a false one comes back ``failed`` with the
        smallest counterexample, a true one ``checked``.
        """
        grid = self.grid
        if grid is not None and (lhs is not None or rhs is not None):
            grid = replace(grid, lhs=_side(lhs) if lhs is not None else grid.lhs,
                           rhs=_side(rhs) if rhs is not None else grid.rhs)
        return replace(self, name=name or f"{self.name}~variant",
                       statement=self.statement if statement is None else sp.sympify(statement),
                       proof=proof, grid=grid, reason=reason if proof is None else "", uses=self.uses,
                       grid_claim=self.grid_claim or lhs is not None or rhs is not None)

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {sp.latex(self.statement)}$"


def _side(value: Any) -> Callable[[dict], Any]:
    if callable(value) and not isinstance(value, sp.Basic):
        return value
    expr = sp.sympify(value)
    return lambda cfg: evaluate_expr(expr, cfg)


@dataclass(frozen=True)
class StepResult:
    """A step with its verification outcome and time."""

    step: Step
    ok: bool
    reason: str | None
    seconds: float


@dataclass(frozen=True)
class Result:
    r"""The outcome of :func:`prove`.

    ``seconds`` is this theorem's own time (proof + grid), ``proof_seconds`` and ``grid_seconds``
    its parts; ``grid_count`` the number of configurations checked; ``counterexample`` (when the
    grid found one) ``{'config': ..., 'lhs': ..., 'rhs': ...}``; ``reason`` why it is not
    ``proved``.
    """

    theorem: Theorem
    status: str
    steps: tuple
    seconds: float
    proof_seconds: float
    grid_seconds: float
    grid_count: int
    counterexample: dict | None
    reason: str
    smt: str = "n/a"
    smt_reason: str = ""
    smt_counterexample: dict | None = None
    smt_seconds: float = 0.0
    grid_statement_count: int = 0
    grid_only: str = ""

    @property
    def name(self) -> str:
        """The theorem's name."""
        return self.theorem.name

    @property
    def uses(self) -> tuple:
        """Names of the lemmas used."""
        return tuple(self.theorem.uses)

    def to_dict(self) -> dict:
        """JSON form: name, status, seconds, uses (and counterexample / reason when relevant)."""
        out = {"name": self.name, "status": self.status, "seconds": round(self.seconds, 4),
               "uses": list(self.uses), "grid_count": self.grid_count, "smt": self.smt}
        if self.smt_reason:
            out["smt_reason"] = self.smt_reason
        if self.smt_counterexample is not None:
            out["smt_counterexample"] = self.smt_counterexample
        out["grid_statement_count"] = self.grid_statement_count
        if self.grid_only:
            out["grid_only"] = self.grid_only
        if self.status == "failed":
            out["counterexample"] = self.counterexample
        if self.reason:
            out["reason"] = self.reason
        return out

    def _repr_latex_(self) -> str:
        name = self.name.replace("_", "\\_")
        lines = [f"\\text{{{name}: {self.status}}}", sp.latex(self.theorem.statement)]
        lines += [sp.latex(sr.step.relation()) + f"\\quad\\text{{({sr.step.rule})}}" for sr in self.steps]
        return "$\\begin{aligned}" + "\\\\ ".join("&" + line for line in lines) + "\\end{aligned}$"
