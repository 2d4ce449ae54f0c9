r"""Check anyone's output-size formula against symconv's derived one.

``check_formula(text, op, **assumptions)`` parses ``text`` safely (:mod:`symconv.formula`),
compares it with the operator's formula from :mod:`symconv.shapes` over the operator's
valid domain, and returns a :class:`CheckResult` whose verdict is

* ``"equivalent"`` -- with SymPy proof steps when the rewrite rules close the proof,
  and always with the number of configurations checked;
* ``"conditional"`` -- equal exactly where a stated condition holds (e.g. only when
  :math:`(i + 2p - k) \bmod s = 0`), with the condition and a counterexample outside it;
* ``"wrong"`` -- with the smallest counterexample (every parameter, both results, and
  PyTorch's when it is installed).

Examples
--------
>>> check_formula("(i-1)*s - 2*p + k", "conv-transpose", d=1, output_padding=0).verdict
'equivalent'
>>> r = check_formula("(i + 2*p - k)/s + 1", "conv", d=1)
>>> r.verdict, r.condition
('conditional', 'Mod(i - k + 2*p, s) = 0')
>>> r = check_formula("(i-1)*s + 2*p + k", "conv-transpose", d=1, output_padding=0)
>>> r.verdict, r.condition, r.counterexample["params"]
('conditional', 'p = 0', {'i': 1, 'k': 3, 's': 1, 'p': 1, 'd': 1, 'a': 0})
>>> r = check_formula("i*s", "conv-transpose", d=1, output_padding=0)
>>> r.verdict, r.counterexample["params"], r.counterexample["formula"], r.counterexample["symconv"]
('wrong', {'i': 1, 'k': 1, 's': 2, 'p': 0, 'd': 1, 'a': 0}, 2, 1)
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import sympy as sp

from . import shapes
from . import symbols as letters
from .formula import NAMES, Formula, parse_formula
from .proofs import rules

__all__ = ["check_formula", "CheckResult", "OPERATORS", "parse_assumptions", "CATALOGUE", "check_catalogue"]

Env = dict


# --------------------------------------------------------------------------- operator models


@dataclass(frozen=True)
class Condition:
    """A candidate condition: a predicate on integer parameters and its symbolic relation.

    ``relation`` gives the symbolic ``lhs = rhs``; ``solve_for`` names the letter a
    substitution eliminates (``i`` for divisibility, via ``span = s m``).
    """

    holds: Callable[[Env], bool]
    lhs: Callable[[], sp.Expr]
    rhs: Callable[[], sp.Expr]
    solve_for: str | None = None

    def text(self, fixed: dict) -> str:
        """The condition with the assumed values substituted, e.g. ``Mod(i - k + 2*p, s) = 0``."""
        return f"{self.lhs().subs(fixed)} = {self.rhs().subs(fixed)}"

    def substitution(self, fixed: dict) -> dict:
        """A substitution that makes the condition true (for the conditional proof)."""
        if self.solve_for is None:
            return {self.lhs(): self.rhs()}
        span = self.lhs().args[0].subs(fixed)
        target = letters.BY_NAME[self.solve_for]
        return {target: sp.solve(sp.Eq(span, letters.s * _integer_m()), target)[0]}


@dataclass(frozen=True)
class OperatorModel:
    """What check_formula needs of an operator: letters, grid, validity, formula, conditions."""

    name: str
    letters: tuple
    grid: dict
    valid: Callable[[Env], bool]
    derived: Callable[[Env], Any]
    conditions: tuple
    torch: Callable[[Env], Any] | None = None


def _pads(env: Env) -> tuple:
    return (env["p_b"], env["p_a"]) if "p_b" in env else (env["p"], env["p"])


def _span(env: Env) -> Any:
    """The numerator of the window count, i + p_b + p_a - d(k-1) - 1 (from :mod:`symconv.shapes`)."""
    p_b, p_a = _pads(env)
    return env["i"] + p_b + p_a - shapes.effective_kernel(env["k"], env.get("d", 1))


def _conv_size(env: Env) -> Any:
    p_b, p_a = _pads(env)
    return shapes.window_count_axis(env["i"], env["k"], env["s"], p_b, p_a, env.get("d", 1))


def _transpose_size(env: Env) -> Any:
    p_b, p_a = _pads(env)
    return shapes.transpose_size_axis(env["i"], env["k"], env["s"], p_b, p_a, env.get("d", 1), env.get("a", 0))


def _pool_size(env: Env) -> Any:
    p_b, p_a = _pads(env)
    return shapes.window_count_axis(env["i"], env["k"], env["s"], p_b, p_a, env.get("d", 1),
                                    bool(env.get("ceil_mode", 0)))


def _unpool_size(env: Env) -> Any:
    p_b, p_a = _pads(env)
    return shapes.unpool_size_axis(env["i"], env["k"], env["s"], p_b, p_a)


def _fits(env: Env) -> bool:
    return _span(env) >= 0


def _pool_valid(env: Env) -> bool:
    """PyTorch's pooling domain (padding <= k//2; in ceil mode a window may outrun the padded input),
    decided by :func:`symconv.shapes.pool_output_size` so the rule lives in one place."""
    try:
        shapes.pool_output_size(env["i"], env["k"], env["s"], _pads(env), env.get("d", 1),
                                bool(env.get("ceil_mode", 0)))
    except ValueError:
        return False
    return True


def _integer_m() -> sp.Symbol:
    return sp.Symbol("m", integer=True, nonnegative=True)


def _divisible(symbolic_span: Callable[[], sp.Expr]) -> Condition:
    """``span mod s = 0``: the floor in the size formula is exact."""
    return Condition(lambda env: shapes.mod(_span(env), env["s"]) == 0,
                     lambda: sp.Mod(symbolic_span(), letters.s, evaluate=False),
                     lambda: sp.Integer(0), solve_for="i")


def _equals(letter: str, value: int) -> Condition:
    return Condition(lambda env: env.get(letter, value) == value, lambda: letters.BY_NAME[letter],
                     lambda: sp.Integer(value))


def _sym_span() -> sp.Expr:
    return letters.i + 2 * letters.p - shapes.effective_kernel(letters.k, letters.d)


def _torch_size(kind: str) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        try:
            import torch
            import torch.nn.functional as F
        except ImportError:
            return None
        if "p_b" in env:
            return None
        x = torch.zeros(1, 1, env["i"])
        try:
            if kind == "conv":
                return F.conv1d(x, torch.zeros(1, 1, env["k"]), stride=env["s"], padding=env["p"],
                                dilation=env.get("d", 1)).shape[-1]
            if kind == "conv-transpose":
                return F.conv_transpose1d(x, torch.zeros(1, 1, env["k"]), stride=env["s"], padding=env["p"],
                                          output_padding=env.get("a", 0), dilation=env.get("d", 1)).shape[-1]
            if kind == "max-pool":
                return F.max_pool1d(x, env["k"], env["s"], env["p"], env.get("d", 1),
                                    ceil_mode=bool(env.get("ceil_mode", 0))).shape[-1]
            if kind == "avg-pool":
                return F.avg_pool1d(x, env["k"], env["s"], env["p"], ceil_mode=bool(env.get("ceil_mode", 0))).shape[-1]
            idx = torch.zeros(1, 1, env["i"], dtype=torch.int64)
            return F.max_unpool1d(x, idx, env["k"], env["s"], env["p"]).shape[-1]
        except (RuntimeError, ValueError) as exc:
            return f"error: {str(exc).splitlines()[0][:120]}"
    return run


_WINDOW_GRID = {"i": range(1, 13), "k": range(1, 6), "s": range(1, 5), "p": range(0, 4), "d": range(1, 4)}

OPERATORS: dict[str, OperatorModel] = {
    "conv": OperatorModel(
        "conv", ("i", "k", "s", "p", "d"), _WINDOW_GRID, _fits, _conv_size,
        (_divisible(_sym_span), _equals("s", 1), _equals("d", 1), _equals("p", 0)), _torch_size("conv")),
    "conv-transpose": OperatorModel(
        "conv-transpose", ("i", "k", "s", "p", "d", "a"), dict(_WINDOW_GRID, a=range(0, 4)),
        lambda env: env.get("a", 0) < max(env["s"], env.get("d", 1)) and _transpose_size(env) >= 1,
        _transpose_size, (_equals("a", 0), _equals("d", 1), _equals("p", 0), _equals("s", 1)),
        _torch_size("conv-transpose")),
    "max-pool": OperatorModel(
        "max-pool", ("i", "k", "s", "p", "d"), _WINDOW_GRID, _pool_valid, _pool_size,
        (_divisible(_sym_span), _equals("p", 0), _equals("d", 1), _equals("s", 1)), _torch_size("max-pool")),
    "avg-pool": OperatorModel(
        "avg-pool", ("i", "k", "s", "p"), {n: r for n, r in _WINDOW_GRID.items() if n != "d"}, _pool_valid,
        _pool_size, (_divisible(lambda: letters.i + 2 * letters.p - letters.k), _equals("p", 0), _equals("s", 1)),
        _torch_size("avg-pool")),
    "max-unpool": OperatorModel(
        "max-unpool", ("i", "k", "s", "p"), {n: r for n, r in _WINDOW_GRID.items() if n != "d"},
        lambda env: max(_pads(env)) <= env["k"] // 2 and _unpool_size(env) >= 1, _unpool_size,
        (_equals("p", 0), _equals("s", 1)), _torch_size("max-unpool")),
}
_ALIASES = {"conv_transpose": "conv-transpose", "transposed": "conv-transpose", "pool": "max-pool",
            "max_pool": "max-pool", "avg_pool": "avg-pool", "unpool": "max-unpool", "max_unpool": "max-unpool"}


# --------------------------------------------------------------------------- assumptions


def parse_assumptions(text: str | None) -> dict:
    """Parse ``"d=1, output_padding=0"`` into ``{'d': 1, 'a': 0}`` (integers only, no evaluation).

    Examples
    --------
    >>> parse_assumptions("d=1, output_padding=0, ceil_mode=true")
    {'d': 1, 'a': 0, 'ceil_mode': 1}
    """
    out: dict = {}
    if not text:
        return out
    if len(text) > 1000:
        raise ValueError("assume: longer than 1000 characters")
    for part in text.split(","):
        if not part.strip():
            continue
        if part.count("=") != 1:
            raise ValueError(f"assume: expected name=value pairs separated by commas, got {part.strip()!r}")
        name, value = (v.strip() for v in part.split("="))
        out.update(_assumption(name, value))
    return out


def _assumption(name: str, value: Any) -> dict:
    if name == "ceil_mode":
        if isinstance(value, str):
            lowered = value.lower()
            if lowered not in ("0", "1", "true", "false"):
                raise ValueError(f"assume: ceil_mode must be true/false, got {value!r}")
            return {"ceil_mode": int(lowered in ("1", "true"))}
        return {"ceil_mode": int(bool(value))}
    if name not in NAMES:
        raise ValueError(f"assume: unknown name {name!r}; allowed: {', '.join(sorted(NAMES))}, ceil_mode")
    if isinstance(value, str):
        if not value.lstrip("-").isdigit() or len(value) > 12:
            raise ValueError(f"assume: {name} must be an integer, got {value!r}")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"assume: {name} must be an int, got {value!r}")
    return {NAMES[name]: value}


# --------------------------------------------------------------------------- symbolic normal form


@dataclass(frozen=True)
class Step:
    """One rewrite of the difference ``user - derived``: before, after and the rule used."""

    before: sp.Expr
    after: sp.Expr
    rule: str


_RULES = (("ceiling as floor: ceil(N/D) = floor((N + D - 1)/D)", rules.ceil_to_floor),
          ("floor through Mod: floor(N/D) = (N - Mod(N, D))/D", rules.floor_to_mod),
          ("expand", sp.expand))


def prove_zero(difference: sp.Expr) -> tuple[bool, list]:
    """Show ``difference == 0`` with the proof engine's verified rules; returns (proved, steps).

    The steps record each rewrite (ceil to floor, floor through Mod, expansion); the final
    decision is :func:`symconv.proofs.rules.is_zero`, which never says yes when SymPy cannot
    decide.
    """
    steps: list = []
    current = sp.sympify(difference)
    for rule, rewrite in _RULES:
        after = rewrite(current)
        if after != current:
            steps.append(Step(current, after, rule))
            current = after
    proved = current == 0 or rules.is_zero(current)
    if proved and current != 0:
        steps.append(Step(current, sp.Integer(0), "simplify (SymPy)"))
    return proved, steps


# --------------------------------------------------------------------------- the check


@dataclass
class CheckResult:
    """The outcome of :func:`check_formula`."""

    formula: str
    op: str
    verdict: str
    derived: Any
    user: Any
    assumptions: dict
    checked: int
    proved: bool = False
    condition: str | None = None
    counterexample: dict | None = None
    steps: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form: verdict, condition, counterexample, and context."""
        return {"verdict": self.verdict, "condition": self.condition, "counterexample": self.counterexample,
                "formula": self.formula, "op": self.op, "symconv": str(self.derived), "parsed": str(self.user),
                "assumptions": self.assumptions, "configurations_checked": self.checked,
                "proved_symbolically": self.proved,
                "steps": [{"before": str(s.before), "after": str(s.after), "rule": s.rule} for s in self.steps]}

    def _repr_latex_(self) -> str:
        return f"${sp.latex(self.user)}$ vs. ${sp.latex(self.derived)}$: {self.verdict}"


def _free_letters(model: OperatorModel, used: tuple, fixed: dict) -> list:
    """The letters to vary: the operator's, minus assumed ones; p split into p_b, p_a if the formula does."""
    names = [n for n in model.letters if n not in fixed]
    if "p_b" in used or "p_a" in used:
        names = [n for n in names if n != "p"] + [n for n in ("p_b", "p_a") if n not in fixed]
    return names


def _grid(model: OperatorModel, used: tuple, fixed: dict) -> list:
    names = _free_letters(model, used, fixed)
    ranges = [model.grid.get(n, model.grid["p"]) for n in names]
    envs = []
    for values in itertools.product(*ranges):
        env = dict(zip(names, values), **fixed)
        if model.valid(env):
            envs.append(env)
    return envs


def _random_envs(model: OperatorModel, used: tuple, fixed: dict, count: int, seed: int = 0) -> list:
    rng = random.Random(seed)
    bounds = {"i": 10**4, "k": 20, "s": 16, "p": 10, "d": 6, "a": 15, "p_b": 10, "p_a": 10}
    names = _free_letters(model, used, fixed)
    out = []
    for _ in range(count * 4):
        env = dict({n: rng.randint(0 if n in ("p", "a", "p_b", "p_a") else 1, bounds[n]) for n in names}, **fixed)
        if model.valid(env):
            out.append(env)
        if len(out) == count:
            break
    return out


def _value(formula: Formula, env: Env) -> Any:
    try:
        return formula.evaluate(env)
    except ZeroDivisionError as exc:
        return f"undefined ({exc})"


def _show(value: Any) -> Any:
    return str(value) if isinstance(value, Fraction) else value


def check_formula(text: str, op: str, **assumptions: Any) -> CheckResult:
    r"""Compare a user's output-size formula with symconv's, for operator ``op``.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"(i-1)*s - 2*p + k"``; names ``i k s p d a`` or their long forms
        (``input_size``, ``kernel_size``, ``stride``, ``padding``, ``dilation``, ``output_padding``).
    op : {'conv', 'conv-transpose', 'max-pool', 'avg-pool', 'max-unpool'}
    **assumptions : int
        Fixed parameter values, e.g. ``d=1, output_padding=0`` (and ``ceil_mode`` for pooling).

    Returns
    -------
    CheckResult

    Raises
    ------
    FormulaError
        The text was rejected by the safe parser (a ``ValueError``).
    ValueError
        Unknown operator or assumption, or a name the operator does not have.
    """
    key = _ALIASES.get(op, op)
    if key not in OPERATORS:
        raise ValueError(f"check_formula: op must be one of {', '.join(OPERATORS)}, got op={op!r}")
    model = OPERATORS[key]
    fixed: dict = {}
    for name, value in assumptions.items():
        fixed.update(_assumption(name, value))
    formula = parse_formula(text)
    allowed = set(model.letters) | {"p_b", "p_a"}
    for name in list(formula.names) + [n for n in fixed if n != "ceil_mode"]:
        if name not in allowed:
            raise ValueError(f"check_formula: {key} has no parameter {name!r} (it has {', '.join(model.letters)})")
    if "ceil_mode" in fixed and key not in ("max-pool", "avg-pool"):
        raise ValueError(f"check_formula: ceil_mode applies to pooling only, not {key}")
    used = formula.names
    envs = _grid(model, used, fixed)
    if not envs:
        raise ValueError(f"check_formula: no valid {key} configuration satisfies the assumptions {fixed}")
    sample = envs + _random_envs(model, used, fixed, 400)
    mismatches = [env for env in sample if _value(formula, env) != model.derived(env)]

    symbolic_env = {n: letters.BY_NAME[n] for n in model.letters + ("p_b", "p_a")}
    if "p_b" not in used and "p_a" not in used:
        symbolic_env.pop("p_b"), symbolic_env.pop("p_a")
    symbolic_env.update({n: v for n, v in fixed.items()})
    derived = model.derived(symbolic_env)
    substitution = {letters.BY_NAME[n]: v for n, v in fixed.items() if n != "ceil_mode"}
    user = formula.sympy().subs(substitution)
    result = CheckResult(text, key, "equivalent", derived, user, fixed, len(sample))
    if not mismatches:
        result.proved, result.steps = prove_zero(user - derived)
        return result

    for group in _candidate_conditions(model, fixed):
        holding = [env for env in sample if all(c.holds(env) for c in group)]
        if holding and all(not all(c.holds(env) for c in group) for env in mismatches):
            result.verdict = "conditional"
            result.condition = " and ".join(c.text(substitution) for c in group)
            under = sp.expand(user - derived)
            for c in group:
                under = sp.expand(under.subs(c.substitution(substitution)))
            result.proved, result.steps = prove_zero(under)
            break
    else:
        result.verdict = "wrong"
    smallest = min(mismatches, key=lambda env: (sum(env.values()), tuple(env.values())))
    result.counterexample = {
        "params": {n: smallest[n] for n in model.letters + ("p_b", "p_a") if n in smallest},
        "formula": _show(_value(formula, smallest)),
        "symconv": _show(model.derived(smallest)),
        "pytorch": model.torch(smallest) if model.torch else None,
    }
    if "ceil_mode" in smallest:
        result.counterexample["params"]["ceil_mode"] = bool(smallest["ceil_mode"])
    return result


def _candidate_conditions(model: OperatorModel, fixed: dict) -> list:
    """Single conditions first, then pairs; conditions on assumed letters are left out."""
    fixed_letters = {letters.BY_NAME[n] for n in fixed if n in letters.BY_NAME}
    single = [c for c in model.conditions if c.solve_for is not None or c.lhs() not in fixed_letters]
    return [(c,) for c in single] + list(itertools.combinations(single, 2))


# --------------------------------------------------------------------------- catalogue

#: Formulas seen in documentation and posts: (source, op, formula, assumptions, expected verdict).
CATALOGUE: tuple = (
    ("PyTorch Conv2d docs", "conv", "floor((i + 2*p - d*(k-1) - 1)/s + 1)", {}, "equivalent"),
    ("Dumoulin & Visin, Rel. 6", "conv", "floor((i + 2*p - k)/s) + 1", {"d": 1}, "equivalent"),
    ("Dumoulin & Visin, Rel. 15", "conv", "(i + 2*p - k - (k-1)*(d-1)) // s + 1", {}, "equivalent"),
    ("CS231n notes (no floor)", "conv", "(i - k + 2*p)/s + 1", {"d": 1}, "conditional"),
    ("Keras conv_output_length, 'valid'", "conv", "ceil((i - d*(k-1))/s)", {"p": 0}, "equivalent"),
    ("TF 'SAME' size used for any padding", "conv", "ceil(i/s)", {"d": 1}, "wrong"),
    ("PyTorch ConvTranspose2d docs", "conv-transpose", "(i-1)*s - 2*p + d*(k-1) + output_padding + 1", {},
     "equivalent"),
    ("Dumoulin & Visin, Rel. 13", "conv-transpose", "s*(i-1) + k - 2*p", {"d": 1}, "conditional"),
    ("Blog post: transposed with +2p", "conv-transpose", "(i-1)*s + 2*p + k", {"d": 1, "a": 0}, "conditional"),
    ("Keras deconv 'same' (i*s) read as PyTorch", "conv-transpose", "i*s", {"d": 1, "a": 0}, "wrong"),
    ("PyTorch MaxPool2d docs", "max-pool", "floor((i + 2*p - d*(k-1) - 1)/s + 1)", {}, "equivalent"),
    ("ceil mode without the last-window rule", "max-pool", "ceil((i + 2*p - d*(k-1) - 1)/s) + 1",
     {"ceil_mode": 1}, "conditional"),
    ("PyTorch MaxUnpool2d docs", "max-unpool", "(i - 1)*s - 2*p + k", {}, "equivalent"),
)


def check_catalogue() -> list[tuple]:
    """Run every catalogue entry: (source, result, expected verdict)."""
    return [(source, check_formula(text, op, **assume), expected)
            for source, op, text, assume, expected in CATALOGUE]
