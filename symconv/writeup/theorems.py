r"""Sections written from the proof engine's objects (:mod:`symconv.proofs`): one per theorem.

This is the only module that reads the proof engine, so an API change there is adapted here.
It uses: ``proofs.dependency_graph()`` (networkx DiGraph lemma -> theorem, node attributes
``kind``, ``family``, ``title``), ``proofs.theorem(name)`` (``title``, ``statement``,
``assumptions`` (ranges ``symbol, lo, hi``) and ``equalities`` or ``assumption_relations()``,
``uses``, ``grid.description``, ``kind``, ``reference``, ``reason``) and ``proofs.prove(name)``
(``status``, ``steps`` of ``StepResult(step, ok, reason)`` with ``step.before``, ``step.after``,
``step.rel``, ``step.rule``, ``step.why``, ``grid_count``, ``counterexample``, ``reason``, and
when present ``smt`` and ``grid_note``). Timings are never written (they would make the documents
non-deterministic). Each theorem is an ``amsthm`` theorem or lemma with a short name
(:mod:`.names`), its statement in display math printed by SymPy (long relations broken at
relation and operator symbols, never scaled), its assumptions as math, the proof's verified steps,
and the checks (grid, SMT) as math too.

Examples
--------
>>> order = theorem_order()
>>> order.index("conv_output_size") < order.index("dv_rel_06")
True
>>> "\\begin{lemma}" in theorem_section("conv_output_size")
True
"""
from __future__ import annotations

from typing import Any

import networkx as nx
import sympy as sp

from .latex import render, tex, text
from .linebreak import break_terms, display_lines
from .names import citations, short_name
from .prose import plain_pdf, prose_tex

__all__ = ["theorem_order", "theorem_graph", "theorem_section", "theorems_intro", "label_of", "statement_tex",
           "assumptions_tex", "smt_of"]


def _proofs() -> Any:
    from .. import proofs
    return proofs


def label_of(name: str) -> str:
    """The LaTeX label of a theorem's section, ``thm:<name>`` with only safe characters.

    Examples
    --------
    >>> label_of("dv_rel_06")
    'thm:dv-rel-06'
    """
    return "thm:" + "".join(ch if ch.isalnum() else "-" for ch in name)


def theorem_graph() -> nx.DiGraph:
    """The engine's dependency graph (lemma -> theorem)."""
    return _proofs().dependency_graph()


def theorem_order() -> list[str]:
    """Theorem names in dependency order, ties broken by (family, name) so the order is stable."""
    graph = theorem_graph()
    return list(nx.lexicographical_topological_sort(
        graph, key=lambda n: (int(graph.nodes[n].get("family", 0) or 0), str(n))))


#: LaTeX for the relation symbols a step may use (layout between two printed sides).
_REL_TEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">", "!=": r"\ne"}
_REL_OF = {sp.Eq: "=", sp.Le: "<=", sp.Lt: "<", sp.Ge: ">=", sp.Gt: ">", sp.Ne: "!="}


def _relation_tex(expr: Any) -> str:
    """One relation (or expression) for a display: SymPy prints each side, :func:`display_lines` breaks."""
    rel = _REL_OF.get(type(expr))
    if rel is None:
        return " \\\\\n".join(break_terms(tex(expr)))
    return display_lines(tex(expr.lhs), _REL_TEX[rel], tex(expr.rhs))


def statement_tex(statement: Any) -> str:
    r"""A statement as the body of a ``gather*``: one line per conjunct, long ones broken (never scaled).

    Examples
    --------
    >>> from symconv.symbols import i, k, s
    >>> print(statement_tex(sp.And(sp.Eq(i, k), sp.Le(s, i), evaluate=False)))
    i = k \\
    s \le i
    """
    statement = sp.sympify(statement)
    parts = list(statement.args) if isinstance(statement, sp.And) else [statement]
    return " \\\\\n".join(_relation_tex(part) for part in parts)


def assumptions_tex(thm: Any) -> list[str]:
    r"""Each assumption as inline math: ranges as chains ``0 \le p_b \le d (k - 1)``, then equalities.

    Falls back on ``thm.assumption_relations()`` when the theorem has no ranges.
    """
    out = []
    ranges = getattr(thm, "assumptions", ()) or ()
    for rg in ranges:
        symbol, lo, hi = getattr(rg, "symbol", None), getattr(rg, "lo", None), getattr(rg, "hi", None)
        if symbol is None:
            continue
        chain = ([tex(lo), r"\le"] if lo is not None else []) + [tex(symbol)] + ([r"\le", tex(hi)] if hi is not None else [])
        if lo is not None or hi is not None:
            out.append(" ".join(chain))
    out += [f"{tex(sym)} = {tex(value)}" for sym, value in getattr(thm, "equalities", ()) or ()]
    if not out and hasattr(thm, "assumption_relations"):
        out = [_relation_tex(rel) for rel in thm.assumption_relations()]
    return [f"${item}$" for item in out]


def smt_of(result: Any) -> tuple[str, str] | None:
    """The result's SMT verdict as ``(status, detail)`` when the engine provides one (``result.smt``)."""
    smt = getattr(result, "smt", None)
    if smt is None:
        return None
    if isinstance(smt, str):
        return smt, ""
    if isinstance(smt, dict):
        return str(smt.get("status", "")), str(smt.get("detail", "") or smt.get("reason", "") or "")
    status = getattr(smt, "status", None) or str(smt)
    detail = getattr(smt, "detail", None) or getattr(smt, "reason", None) or ""
    return str(status), str(detail)


def _value_tex(value: Any) -> str:
    """A counterexample value (int, list, nested lists, string) as math."""
    if isinstance(value, (list, tuple)):
        return r"\left(" + ", ".join(_value_tex(v) for v in value) + r"\right)"
    if isinstance(value, bool) or value is None:
        return r"\text{" + text(value) + "}"
    if isinstance(value, (int, float)):
        return tex(sp.nsimplify(value))
    printed = prose_tex(value)
    if printed.count("$") == 2 and printed.startswith("$") and printed.endswith("$"):
        return printed.strip("$")
    return r"\text{" + text(value) + "}"


def _counterexample_tex(counterexample: dict) -> str:
    """``{'config': {...}, 'lhs': ..., 'rhs': ...}`` as inline math."""
    config = counterexample.get("config", {}) if isinstance(counterexample, dict) else {}
    pairs = ", ".join(f"{prose_tex(key).strip('$')} = {_value_tex(value)}" for key, value in sorted(config.items()))
    out = f"${pairs}$" if pairs else ""
    if isinstance(counterexample, dict) and "lhs" in counterexample:
        out += (", where the left side is " + f"${_value_tex(counterexample['lhs'])}$"
                + " and the right side " + f"${_value_tex(counterexample['rhs'])}$")
    return out


def _grid_tex(thm: Any, result: Any) -> str:
    grid = getattr(thm, "grid", None)
    if grid is None:
        return "No grid cross-check."
    count = tex(getattr(result, "grid_count", 0))
    out = f"Grid: ${count}$ configurations ({prose_tex(grid.description)})"
    if getattr(result, "counterexample", None) is not None:
        out += "; counterexample " + _counterexample_tex(result.counterexample) + "."
    else:
        out += ", all agree."
    note = getattr(result, "grid_note", None) or getattr(thm, "grid_note", None)
    if note:
        out += " " + prose_tex(note).rstrip(".") + "."
    return out


def _smt_tex(result: Any) -> str:
    smt = smt_of(result)
    if smt is None:
        return ""
    status, detail = smt
    return r" SMT (Z3): \status{" + text(status) + "}" + (f" --- {prose_tex(detail)}" if detail else "") + "."


def _gloss(title: str, name: str) -> str:
    """The engine's title as the theorem's opening sentence: its name prefix dropped when it is only a name."""
    if not title:
        return ""
    head, sep, rest = title.partition(":")
    if sep and rest.strip() and not any(ch in head for ch in "=<>|"):
        title = rest.strip()                                  # "D&V Rel. 7: pooling, ..." -> "pooling, ..."
    if title.strip().lower() in (short_name(name).lower(), short_name(name).split(": ")[-1].lower()):
        return ""
    first = title.split(" ", 1)[0]
    if len(first) > 1 and first.isalpha() and first.islower():
        title = title[:1].upper() + title[1:]                 # capitalise a word, never a variable
    sentence = prose_tex(title)
    return sentence.rstrip(".") + "."


def _hypothesis(thm: Any) -> str:
    items = assumptions_tex(thm)
    if not items:
        return "Then"
    listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return f"Let {listed}. Then"


def _step_tex(sr: Any, number: int) -> str:
    st = sr.step
    why = f": {prose_tex(st.why)}" if getattr(st, "why", "") else ""
    mark = "" if sr.ok else r" \textbf{(not verified: " + prose_tex(sr.reason or "") + ")}"
    rel = getattr(st, "rel", "=")
    if rel in _REL_TEX:
        relation = display_lines(tex(st.before), _REL_TEX[rel], tex(st.after))
    else:
        relation = _relation_tex(st.relation())
    return render("theorem_step", {"rule": text(st.rule), "why": why + mark, "relation": relation})


def _proof_tex(thm: Any, result: Any) -> str:
    """The proof environment with the verified steps, or why there is no symbolic proof."""
    steps = [_step_tex(sr, n) for n, sr in enumerate(result.steps, 1)]
    if not steps:
        reason = getattr(thm, "reason", "") or getattr(result, "reason", "")
        return (r"\noindent\emph{No symbolic proof}" + (f": {prose_tex(reason).rstrip('.')}." if reason else ".")
                + " The statement rests on the grid check below.")
    ok = all(sr.ok for sr in result.steps)
    verdict = ("SymPy verified every step under the assumptions." if ok else
               "SymPy could not verify the steps marked below, so the symbolic proof does not stand.")
    return render("theorem_proof", {"verdict": verdict, "steps": "\n".join(steps)})


def _uses_tex(thm: Any) -> str:
    uses = list(getattr(thm, "uses", ()) or ())
    if not uses:
        return ""
    refs = [f"\\cref{{{label_of(u)}}} ({text(short_name(u))})" for u in uses]
    listed = refs[0] if len(refs) == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]
    return f" The proof uses {listed}."


def _source_tex(thm: Any) -> str:
    reference = getattr(thm, "reference", "") or ""
    if not reference:
        return ""
    keys = citations(reference)
    cite = f"~\\cite{{{','.join(keys)}}}" if keys else ""
    return f" Source: {prose_tex(reference).rstrip('.')}{cite}."


def theorem_section(name: str) -> str:
    """The LaTeX of one theorem or lemma (template ``theorem``), with its proof and checks."""
    proofs = _proofs()
    thm = proofs.theorem(name)
    result = proofs.prove(name)
    env = "lemma" if getattr(thm, "kind", "theorem") == "lemma" else "theorem"
    short = short_name(name)
    values = {
        "env": env,
        "short": text(short),
        "short_pdf": plain_pdf(short),
        "label": label_of(name),
        "gloss": _gloss(getattr(thm, "title", "") or "", name),
        "hypothesis": _hypothesis(thm),
        "statement": statement_tex(thm.statement),
        "name": text(name),
        "source": _source_tex(thm),
        "uses": _uses_tex(thm),
        "proof": _proof_tex(thm, result),
        "grid": _grid_tex(thm, result),
        "smt": _smt_tex(result),
        "status": text(result.status),
        "status_reason": f" ({prose_tex(result.reason).rstrip('.')})" if result.reason else "",
    }
    return render("theorem", values)


def theorems_intro(figure: str) -> tuple[str, dict]:
    """The section introducing the theorems: summary table and the graph figure; and the status counts."""
    proofs = _proofs()
    rows, counts = [], {}
    order = theorem_order()
    with_smt = any(smt_of(proofs.prove(n)) is not None for n in order)
    for name in order:
        thm, result = proofs.theorem(name), proofs.prove(name)
        counts[result.status] = counts.get(result.status, 0) + 1
        smt = smt_of(result)
        cells = [f"\\ref{{{label_of(name)}}}", f"\\hyperref[{label_of(name)}]{{{text(short_name(name))}}}",
                 text(thm.kind), f"${tex(result.grid_count)}$", f"\\status{{{text(result.status)}}}"]
        if with_smt:
            cells.append(f"\\status{{{text(smt[0])}}}" if smt else "---")
        rows.append(" & ".join(cells) + r" \\")
    summary = ", ".join(f"{counts[s]} {text(s)}" for s in sorted(counts))
    columns = "@{}r>{\\raggedright\\arraybackslash}p{0.5\\linewidth}lrl" + ("l" if with_smt else "") + "@{}"
    header = "No. & Name & Kind & Grid & Status" + (" & SMT" if with_smt else "") + r" \\"
    body = render("theorems_intro", {"rows": "\n".join(rows), "figure": figure, "summary": summary,
                                     "columns": columns, "header": header})
    return body, counts
