"""``symconv check-formula TEXT --op OP``: is this output-size formula right?

Exit codes: 0 equivalent (proved), 1 wrong, only conditionally equivalent or unproved, 2 input
rejected. A condition is printed as "holds exactly when" only when Z3 proved it necessary and
sufficient over the operator's valid domain; otherwise as "for example when" (``--json``:
``"condition_exact": false``). ``condition`` in ``--json`` is a string ``sympy.sympify`` reads.
``--catalogue`` checks the shipped catalogue of formulas from documentation and posts
(exit 1 if any verdict differs from the one recorded in the catalogue).
"""
from __future__ import annotations

import argparse
import json

from ..check import CATALOGUE, OPERATORS, check_catalogue, check_formula, parse_assumptions
from ._args import operator

NAME = "check-formula"
HELP = "check an output-size formula against symconv's derivation (proof or smallest counterexample)"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``check-formula`` arguments."""
    parser.add_argument("formula", nargs="?", help="the formula, e.g. \"(i-1)*s - 2*p + k\" (quote it)")
    parser.add_argument("--op", type=operator, choices=tuple(OPERATORS),
                        help="the operator the formula is for (also spelled max-pool, transposed, ...)")
    parser.add_argument("--assume", default="",
                        help="fixed values: integers, expressions in the other letters or padding=same|valid, "
                             "e.g. \"d=1, output_padding=0\", \"p=k//2\" (letters the formula does not use are "
                             "varied, except the pooling stride, which defaults to k as in PyTorch)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--catalogue", action="store_true",
                        help=f"check the {len(CATALOGUE)} catalogued real-world formulas")


_PROOFS = {"z3": "proved by Z3 (no counterexample exists over all integers)",
           "sympy": "proved symbolically (SymPy rewriting)"}


def _describe(result) -> list[str]:
    lines = [f"formula:  {result.user}", f"symconv:  {result.derived}", f"verdict:  {result.verdict}"]
    for name, value in result.defaults.items():
        lines.append(f"default:  {name} = {value} (PyTorch's default; the formula has no {name})")
    if result.condition_expr is not None:
        if result.condition_exact:
            how = "bounded check by Z3" if result.condition_proof == "bounded" else "proved by Z3"
            lines.append(f"holds exactly when: {result.condition_text}  (necessary and sufficient, {how})")
        else:
            proved = " (proved sufficient)" if result.condition_proof else ""
            lines.append(f"for example when: {result.condition_text}{proved}; not shown to be the only cases")
    if result.counterexample:
        ce = result.counterexample
        params = ", ".join(f"{k}={v}" for k, v in ce["params"].items())
        torch = "" if ce["pytorch"] is None else f", PyTorch {ce['pytorch']}"
        lines.append(f"counterexample: {params}: formula {ce['formula']}, symconv {ce['symconv']}{torch}")
    how = _PROOFS.get(result.proof, "no proof found") if result.verdict in ("equivalent", "unproved") else ""
    lines.append(f"checked on {result.checked} configurations" + (f"; {how}" if how else ""))
    for step in result.steps:
        lines.append(f"  {step.rule}: {step.after}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Check one formula or the catalogue."""
    if args.catalogue:
        if args.formula is not None:
            raise ValueError("give either a formula or --catalogue, not both")
        rows = check_catalogue()
        if args.json:
            print(json.dumps([dict(source=src, expected=exp, **r.to_dict()) for src, r, exp in rows], default=str))
        else:
            for src, r, exp in rows:
                mark = "" if r.verdict == exp else f"  (catalogue says {exp})"
                detail = f" {'exactly when' if r.condition_exact else 'e.g. when'} {r.condition_text}" \
                    if r.condition else ""
                print(f"{r.verdict:12s} {r.op:15s} {src}: {r.formula}{detail}{mark}")
        return 0 if all(r.verdict == exp for _, r, exp in rows) else 1
    if args.formula is None or args.op is None:
        raise ValueError("a formula and --op are required (or use --catalogue)")
    result = check_formula(args.formula, args.op, **parse_assumptions(args.assume))
    if args.json:
        print(json.dumps(result.to_dict(), default=str))
    else:
        print("\n".join(_describe(result)))
    return 0 if result.verdict == "equivalent" else 1
