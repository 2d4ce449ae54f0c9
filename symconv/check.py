r"""Check anyone's output-size formula against symconv's derived one.

``check_formula(text, op, **assumptions)`` parses ``text`` safely (:mod:`symconv.formula`),
compares it with the operator's formula from :mod:`symconv.shapes` over the operator's
valid domain, and returns a :class:`CheckResult` whose verdict is

* ``"equivalent"`` -- proved: by Z3 (no counterexample over all integers of the valid domain)
  or by the SymPy rewrite rules (with the steps), and always checked on a grid;
* ``"unproved"`` -- no counterexample found, but no proof either;
* ``"conditional"`` -- equal where a condition holds: the *exact* set (``condition_exact``),
  proved necessary and sufficient by Z3, or else an example of where it holds;
* ``"wrong"`` -- with the smallest counterexample (every parameter, both results, and
  PyTorch's when it is installed).

Examples
--------
>>> check_formula("(i-1)*s - 2*p + k", "conv_transpose", d=1, output_padding=0).verdict
'equivalent'
>>> r = check_formula("(i + 2*p - k)/s + 1", "conv", d=1)
>>> r.verdict, r.condition, r.condition_exact
('conditional', 'Eq(Mod(i - k + 2*p, s), 0)', True)
>>> r = check_formula("i*s + max(k - s, 0)", "conv_transpose", d=1, p=0, output_padding=0)
>>> r.condition_text, r.condition_exact, r.counterexample["params"]
('k >= s', True, {'i': 1, 'k': 1, 's': 2, 'p': 0, 'd': 1, 'a': 0})
>>> r = check_formula("(i-1)*s - 2*p + k", "conv_transpose", output_padding=0)
>>> r.condition_text
'd = 1 or k = 1'
>>> r = check_formula("ceil(i/s)", "conv", d=1)
>>> r.verdict, r.counterexample["params"], r.counterexample["formula"], r.counterexample["symconv"]
('wrong', {'i': 1, 'k': 1, 's': 1, 'p': 1, 'd': 1}, 1, 3)
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
from .assumptions import Setting, parse_assumption, minimum, parse_assumptions, resolve
from .condition import tidy, compile_exact, exact_condition, human, prove
from .formula import Formula, parse_formula
from .operators import operator_name
from .proofs import decide, normal_forms

__all__ = ["check_formula", "CheckResult", "OPERATORS", "parse_assumptions", "CATALOGUE", "check_catalogue"]

Env = dict


# --------------------------------------------------------------------------- operator models


@dataclass(frozen=True)
class OperatorModel:
    """What check_formula needs of an operator: letters, grid, valid domain, formula, defaults.

    ``rules(env)`` lists the operator's validity rules at ``env``: Python bools for integers,
    SymPy relations for symbols (the domain Z3 works under). ``defaults`` are PyTorch's values
    of the letters (a letter name for the pooling stride, which defaults to the kernel size).
    ``window`` is True when the input must leave room for a window (the grid then starts ``i``
    at the smallest valid size, so huge kernels still have valid configurations).
    """

    name: str
    letters: tuple
    grid: dict
    rules: Callable[[Env], list]
    derived: Callable[[Env], Any]
    defaults: dict
    window: bool = True
    torch: Callable[[Env], Any] | None = None

    def valid(self, env: Env) -> bool:
        """True when every rule holds at integer ``env``."""
        return all(bool(rule) for rule in self.rules(env))


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


def _relation(kind: Any, x: Any, y: Any) -> Any:
    """``x OP y``: a bool for numbers, a SymPy relation for symbols."""
    if isinstance(x, sp.Basic) or isinstance(y, sp.Basic):
        return kind(x, y)
    return {sp.Ge: x >= y, sp.Le: x <= y, sp.Lt: x < y}[kind]


def _fits(env: Env) -> list:
    return [_relation(sp.Ge, _span(env), 0)]


def _pool_fits(env: Env) -> list:
    """PyTorch's pooling rule for a first window (:func:`symconv.shapes.window_fits`): in ceil mode it may
    outrun the padded input by up to s - 1."""
    p_b, p_a = _pads(env)
    return [shapes.window_fits(env["i"], env["k"], p_b, p_a, env.get("d", 1), env["s"],
                               bool(env.get("ceil_mode", 0)))]


def _half_kernel(env: Env) -> list:
    """PyTorch's pooling rule, from :mod:`symconv.shapes`: padding at most half the kernel."""
    half = shapes.floordiv(env["k"], 2)
    return [_relation(sp.Le, pad, half) for pad in _pads(env)]


def _transpose_rules(env: Env) -> list:
    s, d = env["s"], env.get("d", 1)
    limit = sp.Max(s, d) if isinstance(s, sp.Basic) or isinstance(d, sp.Basic) else max(s, d)
    return [_relation(sp.Lt, env.get("a", 0), limit), _relation(sp.Ge, _transpose_size(env), 1)]


def _torch_size(kind: str) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        try:
            import torch
            import torch.nn.functional as F
        except ImportError:
            return None
        if "p_b" in env or max(env.values()) > 10**5:              # asymmetric, or too large to allocate
            return None
        x = torch.zeros(1, 1, env["i"])
        try:
            if kind == "conv":
                return F.conv1d(x, torch.zeros(1, 1, env["k"]), stride=env["s"], padding=env["p"],
                                dilation=env.get("d", 1)).shape[-1]
            if kind == "conv_transpose":
                return F.conv_transpose1d(x, torch.zeros(1, 1, env["k"]), stride=env["s"], padding=env["p"],
                                          output_padding=env.get("a", 0), dilation=env.get("d", 1)).shape[-1]
            if kind == "max_pool":
                return F.max_pool1d(x, env["k"], env["s"], env["p"], env.get("d", 1),
                                    ceil_mode=bool(env.get("ceil_mode", 0))).shape[-1]
            if kind == "avg_pool":
                return F.avg_pool1d(x, env["k"], env["s"], env["p"], ceil_mode=bool(env.get("ceil_mode", 0))).shape[-1]
            idx = torch.zeros(1, 1, env["i"], dtype=torch.int64)
            return F.max_unpool1d(x, idx, env["k"], env["s"], env["p"]).shape[-1]
        except (RuntimeError, ValueError) as exc:
            return f"error: {str(exc).splitlines()[0][:120]}"
    return run


_WINDOW_GRID = {"i": range(1, 13), "k": range(1, 6), "s": range(1, 5), "p": range(0, 4), "d": range(1, 4)}
_CONV_DEFAULTS = {"s": 1, "p": 0, "d": 1, "a": 0, "p_b": 0, "p_a": 0}
_POOL_DEFAULTS = dict(_CONV_DEFAULTS, s="k")
_NO_DILATION = {n: r for n, r in _WINDOW_GRID.items() if n != "d"}

OPERATORS: dict[str, OperatorModel] = {
    "conv": OperatorModel("conv", ("i", "k", "s", "p", "d"), _WINDOW_GRID, _fits, _conv_size, _CONV_DEFAULTS,
                          torch=_torch_size("conv")),
    "conv_transpose": OperatorModel(
        "conv_transpose", ("i", "k", "s", "p", "d", "a"), dict(_WINDOW_GRID, a=range(0, 4)), _transpose_rules,
        _transpose_size, _CONV_DEFAULTS, window=False, torch=_torch_size("conv_transpose")),
    "max_pool": OperatorModel("max_pool", ("i", "k", "s", "p", "d"), _WINDOW_GRID,
                              lambda env: _pool_fits(env) + _half_kernel(env), _pool_size, _POOL_DEFAULTS,
                              torch=_torch_size("max_pool")),
    "avg_pool": OperatorModel("avg_pool", ("i", "k", "s", "p"), _NO_DILATION,
                              lambda env: _pool_fits(env) + _half_kernel(env), _pool_size, _POOL_DEFAULTS,
                              torch=_torch_size("avg_pool")),
    "max_unpool": OperatorModel(
        "max_unpool", ("i", "k", "s", "p"), _NO_DILATION,
        lambda env: _half_kernel(env) + [_relation(sp.Ge, _unpool_size(env), 1)], _unpool_size, _POOL_DEFAULTS,
        window=False, torch=_torch_size("max_unpool")),
}


# --------------------------------------------------------------------------- symbolic normal form


@dataclass(frozen=True)
class Step:
    """One rewrite of the difference ``user - derived``: before, after and the rule used."""

    before: sp.Expr
    after: sp.Expr
    rule: str


_RULES = (("ceiling as floor: ceil(N/D) = floor((N + D - 1)/D)", normal_forms.ceil_to_floor),
          ("floor through Mod: floor(N/D) = (N - Mod(N, D))/D", normal_forms.floor_to_mod),
          ("expand", sp.expand))


def prove_zero(difference: sp.Expr) -> tuple[bool, list]:
    """Show ``difference == 0`` with the proof engine's verified rules; returns (proved, steps).

    The steps record each rewrite (ceil to floor, floor through Mod, expansion); the final
    decision is :func:`symconv.proofs.decide.is_zero`, which never says yes when SymPy cannot
    decide.
    """
    steps: list = []
    current = sp.sympify(difference)
    for rule, rewrite in _RULES:
        after = rewrite(current)
        if after != current:
            steps.append(Step(current, after, rule))
            current = after
    proved = current == 0 or decide.is_zero(current)
    if proved and current != 0:
        steps.append(Step(current, sp.Integer(0), "simplify (SymPy)"))
    return proved, steps


# --------------------------------------------------------------------------- the check


@dataclass
class CheckResult:
    """The outcome of :func:`check_formula`.

    ``verdict`` is ``equivalent`` (proved: ``proof`` is ``"z3"`` or ``"sympy"``), ``unproved``
    (no counterexample found, no proof), ``conditional`` (``condition`` holds; ``condition_exact``
    says whether it is the exact set, proved by ``condition_proof``) or ``wrong``.
    """

    formula: str
    op: str
    verdict: str
    derived: Any
    user: Any
    assumptions: dict
    checked: int
    proof: str | None = None
    condition_expr: Any = None
    condition_exact: bool = False
    condition_proof: str | None = None
    counterexample: dict | None = None
    defaults: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)

    @property
    def proved(self) -> bool:
        """True when the verdict (or the exact condition) is proved."""
        if self.verdict == "conditional":
            return self.condition_exact and self.condition_proof in ("certified", "bounded")
        return self.proof is not None

    @property
    def condition(self) -> str | None:
        """The condition as a string ``sympy.sympify`` parses back (``Eq(...)``, ``k >= s``, ``&``, ``|``)."""
        return None if self.condition_expr is None else str(self.condition_expr)

    @property
    def condition_text(self) -> str | None:
        """The condition for people: ``d = 1 or k = 1``."""
        return None if self.condition_expr is None else human(self.condition_expr)

    def to_dict(self) -> dict:
        """JSON-ready form: verdict, condition, counterexample, and context."""
        return {"verdict": self.verdict, "condition": self.condition, "condition_text": self.condition_text,
                "condition_exact": self.condition_exact if self.condition_expr is not None else None,
                "condition_proof": self.condition_proof, "counterexample": self.counterexample,
                "formula": self.formula, "op": self.op, "symconv": str(self.derived), "parsed": str(self.user),
                "assumptions": {n: v if isinstance(v, int) else str(v) for n, v in self.assumptions.items()},
                "defaults": self.defaults, "configurations_checked": self.checked, "proof": self.proof,
                "proved_symbolically": self.proved,
                "steps": [{"before": str(s.before), "after": str(s.after), "rule": s.rule} for s in self.steps]}

    def _repr_latex_(self) -> str:
        return f"${sp.latex(self.user)}$ vs. ${sp.latex(self.derived)}$: {self.verdict}"


class _Configurations:
    """Valid integer configurations of one operator under resolved assumptions."""

    def __init__(self, model: OperatorModel, setting: Setting):
        self.model, self.setting = model, setting
        self.values = {n: compile_exact(v) for n, v in setting.fixed.items() if isinstance(v, sp.Basic)}
        self.ints = {n: v for n, v in setting.fixed.items() if not isinstance(v, sp.Basic)}

    def complete(self, free: dict) -> dict | None:
        """``free`` plus the assumed letters, or None when that is not a valid configuration."""
        env = dict(free, **self.ints)
        for name, value in self.values.items():
            try:
                number = value(free)
            except (ZeroDivisionError, KeyError, ValueError):
                return None
            if number.denominator != 1 or number < minimum(name):
                return None
            env[name] = int(number)
        if any(env[n] < minimum(n) for n in env if n != "ceil_mode"):
            return None
        return env if self.model.valid(env) else None

    def _smallest_i(self, free: dict) -> int:
        """The smallest input size that fits the window (so a huge kernel is still sampled)."""
        if not self.model.window:
            return 1
        probe = self.complete(dict(free, i=10**30)) if "i" in self.setting.free else None
        if probe is None:
            return 1
        pads = _pads(probe)
        return max(1, shapes.effective_kernel(probe["k"], probe.get("d", 1)) - pads[0] - pads[1])

    def grid(self) -> list:
        names = [n for n in self.setting.free if n != "i"]
        ranges = [self.model.grid.get(n, self.model.grid["p"]) for n in names]
        envs = []
        for values in itertools.product(*ranges):
            free = dict(zip(names, values))
            offsets = range(12) if "i" in self.setting.free else [None]
            base = self._smallest_i(free)
            for offset in offsets:
                env = self.complete(free if offset is None else dict(free, i=base + offset))
                if env is not None:
                    envs.append(env)
        return envs

    def random(self, count: int, seed: int = 0) -> list:
        rng = random.Random(seed)
        bounds = {"i": 10**4, "k": 20, "s": 16, "p": 10, "d": 6, "a": 15, "p_b": 10, "p_a": 10}
        out = []
        for _ in range(count * 4):
            free = {n: rng.randint(minimum(n), bounds[n]) for n in self.setting.free}
            if "i" in free:
                free["i"] += self._smallest_i(free) - 1
            env = self.complete(free)
            if env is not None:
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


def _symbolic(model: OperatorModel, setting: Setting, formula: Formula) -> tuple:
    """(user, derived, domain) as SymPy, in the free letters."""
    env: dict = {n: letters.BY_NAME[n] for n in setting.free}
    env.update(setting.fixed)
    derived = model.derived(env)
    table = {letters.BY_NAME[n]: v for n, v in setting.fixed.items() if n != "ceil_mode"}
    user = formula.sympy().xreplace(table)
    domain = [r for r in model.rules(env) + setting.extra_rules if r is not sp.true and r is not True]
    return user, derived, domain


def _check_rules(model: OperatorModel, setting: Setting, domain: list) -> None:
    """Refuse assumptions that break one of the operator's rules outright (named in its general form)."""
    if not any(r is False or r is sp.false for r in domain):
        return
    pads = ("p_b", "p_a") if setting.pair else ("p",)
    generic = {n: letters.BY_NAME[n] for n in [n for n in model.letters if n != "p"] + list(pads)}
    general = model.rules(generic)
    env: dict = {n: letters.BY_NAME[n] for n in setting.free}
    env.update(setting.fixed)
    broken = list(dict.fromkeys(human(tidy(g)) for r, g in zip(model.rules(env), general)
                                if r is False or r is sp.false))
    shown = ", ".join(f"{n}={v}" for n, v in setting.fixed.items())
    raise ValueError(f"check_formula: the assumptions {shown} break {model.name}'s rule "
                     f"{'; '.join(broken) or 'of a positive size'}")


def check_formula(text: str, op: str, **assumptions: Any) -> CheckResult:
    r"""Compare a user's output-size formula with symconv's, for operator ``op``.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"(i-1)*s - 2*p + k"``; names ``i k s p d a`` or their long forms
        (``input_size``, ``kernel_size``, ``stride``, ``padding``, ``dilation``, ``output_padding``).
    op : {'conv', 'conv_transpose', 'max_pool', 'avg_pool', 'max_unpool'}
        Other spellings are accepted (``conv-transpose``, ``maxpool``; :func:`symconv.operators.operator_name`).
    **assumptions : int, str or SymPy expression
        Fixed parameter values, e.g. ``d=1, output_padding=0``, expressions in the other letters
        (``p="k//2"``), ``padding="same"``, and ``ceil_mode`` for pooling. A letter the formula does
        not use is varied over all valid values, except the pooling stride, which follows
        PyTorch's default (the kernel size).

    Returns
    -------
    CheckResult

    Raises
    ------
    FormulaError
        The text was rejected by the safe parser (a ``ValueError``).
    ValueError
        Unknown operator or assumption, a name the operator does not have, or assumptions
        that break the operator's rules.
    """
    try:
        key = operator_name(op, "op", tuple(OPERATORS))
    except ValueError as exc:
        raise ValueError(f"check_formula: {exc}") from None
    model = OPERATORS[key]
    given: dict = {}
    for name, value in assumptions.items():
        given.update(parse_assumption(name, value))
    formula = parse_formula(text)
    used = formula.names
    setting = resolve(model, used, given)
    user, derived, domain = _symbolic(model, setting, formula)
    _check_rules(model, setting, domain)
    configurations = _Configurations(model, setting)
    sample = configurations.grid()
    if not sample:
        raise ValueError(f"check_formula: no valid {key} configuration found that satisfies the assumptions "
                         f"{_shown(setting.fixed)}")
    sample += configurations.random(400)
    agree = lambda env: _value(formula, env) == model.derived(env)  # noqa: E731
    mismatches = [env for env in sample if not agree(env)]
    result = CheckResult(text, key, "equivalent", derived, user, setting.fixed, len(sample),
                         defaults=dict(setting.defaults))
    if not mismatches:
        status, counterexample = prove(sp.Eq(user, derived), domain)
        if status == "certified":
            result.proof = "z3"
            return result
        extra = configurations.complete(counterexample) if status == "refuted" and counterexample else None
        if extra is None or agree(extra):
            proved, result.steps = prove_zero(user - derived)
            result.proof = "sympy" if proved else None
            result.verdict = "equivalent" if proved else "unproved"
            return result
        sample.append(extra)
        mismatches = [extra]
    if len(mismatches) < len(sample):
        found = exact_condition(user, derived, domain, sample, _defaults(model, setting), agree=agree,
                                complete=configurations.complete)
        if found is not None:
            result.verdict = "conditional"
            result.condition_expr, result.condition_exact, result.condition_proof = \
                found.condition, found.exact, found.proof
    if result.verdict != "conditional":
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


def _defaults(model: OperatorModel, setting: Setting) -> dict:
    """The free letters' PyTorch defaults, as SymPy values (atoms of the condition search)."""
    out = {}
    for name in setting.free:
        value = model.defaults.get(name)
        if value is not None:
            out[name] = letters.BY_NAME[value] if isinstance(value, str) else value
    return out


def _shown(fixed: dict) -> str:
    return "{" + ", ".join(f"{n}={v}" for n, v in fixed.items()) + "}"


# --------------------------------------------------------------------------- catalogue

#: Formulas seen in documentation and posts: (source, op, formula, assumptions, expected verdict).
CATALOGUE: tuple = (
    ("PyTorch Conv2d docs", "conv", "floor((i + 2*p - d*(k-1) - 1)/s + 1)", {}, "equivalent"),
    ("Dumoulin & Visin, Rel. 6", "conv", "floor((i + 2*p - k)/s) + 1", {"d": 1}, "equivalent"),
    ("Dumoulin & Visin, Rel. 15", "conv", "(i + 2*p - k - (k-1)*(d-1)) // s + 1", {}, "equivalent"),
    ("CS231n notes (no floor)", "conv", "(i - k + 2*p)/s + 1", {"d": 1}, "conditional"),
    ("Keras conv_output_length, 'valid'", "conv", "ceil((i - d*(k-1))/s)", {"p": 0}, "equivalent"),
    ("TF 'SAME' size used for any padding", "conv", "ceil(i/s)", {"d": 1}, "wrong"),
    ("PyTorch ConvTranspose2d docs", "conv_transpose", "(i-1)*s - 2*p + d*(k-1) + output_padding + 1", {},
     "equivalent"),
    ("Dumoulin & Visin, Rel. 13", "conv_transpose", "s*(i-1) + k - 2*p", {"d": 1}, "conditional"),
    ("Blog post: transposed with +2p", "conv_transpose", "(i-1)*s + 2*p + k", {"d": 1, "a": 0}, "conditional"),
    ("Keras deconv 'same' (i*s) read as PyTorch", "conv_transpose", "i*s", {"d": 1, "a": 0}, "conditional"),
    ("PyTorch MaxPool2d docs", "max_pool", "floor((i + 2*p - d*(k-1) - 1)/s + 1)", {}, "equivalent"),
    ("ceil mode without the last-window rule", "max_pool", "ceil((i + 2*p - d*(k-1) - 1)/s) + 1",
     {"ceil_mode": 1}, "conditional"),
    ("PyTorch MaxUnpool2d docs", "max_unpool", "(i - 1)*s - 2*p + k", {}, "equivalent"),
)


def check_catalogue() -> list[tuple]:
    """Run every catalogue entry: (source, result, expected verdict)."""
    return [(source, check_formula(text, op, **assume), expected)
            for source, op, text, assume, expected in CATALOGUE]
