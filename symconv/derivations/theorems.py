r"""Sections written from the proof engine's objects (:mod:`symconv.proofs`): one per theorem.

This is the only module that reads the proof engine, so an API change there is adapted here.
It uses: ``proofs.dependency_graph()`` (networkx DiGraph lemma -> theorem, node attributes
``kind``, ``family``, ``title``), ``proofs.theorem(name)`` (``title``, ``statement``,
``assumption_relations()``, ``uses``, ``grid.description``, ``kind``, ``family``,
``reference``, ``reason``) and ``proofs.prove(name)`` (``status``, ``steps`` of
``StepResult(step, ok, reason)`` with ``step.relation()``, ``step.rule``, ``step.why``,
``grid_count``, ``counterexample``, ``reason``). Timings are never written (they would make
the documents non-deterministic).

Examples
--------
>>> order = theorem_order()
>>> order.index("conv_output_size") < order.index("dv_rel_06")
True
>>> "\\section" in theorem_section(order[0])
True
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

import networkx as nx
import sympy as sp

from ..latex import break_terms, render, tex, text

__all__ = ["theorem_order", "theorem_graph", "theorem_section", "theorems_intro", "plain_text", "label_of"]

#: Unicode in layout text (titles, justifications) and its LaTeX text-mode spelling.
_UNICODE = {
    "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$", "−": "-", "×": r"$\times$", "·": r"$\cdot$",
    "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "→": r"$\to$",
    "←": r"$\leftarrow$", "↔": r"$\leftrightarrow$", "⇒": r"$\Rightarrow$", "∘": r"$\circ$",
    "ᵀ": r"$^T$", "′": "'", "⊗": r"$\otimes$", "∑": r"$\sum$", "∣": r"$\mid$", "≡": r"$\equiv$",
    "…": r"\dots{}", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "⟨": r"$\langle$",
    "⟩": r"$\rangle$", "∈": r"$\in$", "∀": r"$\forall$", "≈": r"$\approx$", "∞": r"$\infty$",
    "α": r"$\alpha$", "β": r"$\beta$", "δ": r"$\delta$", "λ": r"$\lambda$", "σ": r"$\sigma$",
    "ĩ": r"\~{\i}", "é": r"\'e", "ü": r"\"u", "½": r"$\frac12$", "²": r"$^2$", "∂": r"$\partial$",
}


def _proofs() -> Any:
    from .. import proofs
    return proofs


def plain_text(value: Any) -> str:
    """Layout text for LaTeX: special characters escaped, known Unicode spelled in LaTeX, others transliterated.

    Examples
    --------
    >>> plain_text("i ≥ d(k−1)+1 and x_b")
    'i $\\\\geq$ d(k-1)+1 and x\\\\_b'
    """
    out = []
    for ch in str(value):
        if ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) < 128:
            out.append(text(ch))
        else:
            ascii_form = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(text(ascii_form) if ascii_form else "?")
    return "".join(out)


_ASCII = {"≥": ">=", "≤": "<=", "≠": "!=", "−": "-", "×": "x", "·": "*", "→": "->", "ᵀ": "^T", "′": "'",
          "–": "-", "—": "-", "…": "..."}


def pdf_text(value: Any) -> str:
    r"""ASCII layout text for PDF bookmarks (``\texorpdfstring``): escaped, Unicode approximated.

    Examples
    --------
    >>> pdf_text("o ≥ 1 & x_b")
    'o >= 1 \\& x\\_b'
    """
    out = []
    for ch in str(value):
        ch = _ASCII.get(ch, ch)
        if all(ord(c) < 128 for c in ch):
            out.append(text(ch))
        else:
            out.append(text(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()))
    return "".join(out)


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
_REL_TEX = {"=": "=", "<=": r"\leq", "<": "<", ">=": r"\geq", ">": ">", "!=": r"\neq"}
_REL_OF = {sp.Eq: "=", sp.Le: "<=", sp.Lt: "<", sp.Ge: ">=", sp.Gt: ">", sp.Ne: "!="}

#: Longest printed piece kept on one line; longer sides are cut at top-level signs.
ONE_LINE = 90


def _fit(piece: str) -> str:
    return "\\fitline{" + piece + "}"


def _relation_lines(before: Any, rel: str, after: Any) -> list[str]:
    """Display lines of ``before rel after``: one line if short, else each side cut at top-level signs.

    Every line is wrapped in ``\\fitline`` (shrunk only if still wider than the line).
    """
    left, right = tex(before), tex(after)
    if len(left) + len(right) <= ONE_LINE:
        return [_fit(f"{left} {_REL_TEX[rel]} {right}")]
    lines = [_fit(piece) for piece in break_terms(left, ONE_LINE)]
    pieces = break_terms(right, ONE_LINE)
    lines.append(_fit(f"{_REL_TEX[rel]} {pieces[0]}"))
    lines += [_fit(piece) for piece in pieces[1:]]
    return lines


def _expr_lines(expr: Any) -> list[str]:
    """Display lines of a relation or expression (conjunctions give one group per conjunct)."""
    rel = _REL_OF.get(type(expr))
    if rel is not None:
        return _relation_lines(expr.lhs, rel, expr.rhs)
    return [_fit(piece) for piece in break_terms(tex(expr), ONE_LINE)]


def _relations_tex(statement: Any) -> list[str]:
    """Each conjunct of a statement as display lines (one equation number, on the last line)."""
    statement = sp.sympify(statement)
    parts = list(statement.args) if isinstance(statement, sp.And) else [statement]
    return [" \\notag \\\\\n".join(_expr_lines(part)) for part in parts]


def _step_tex(st: Any) -> str:
    """A step's display lines for a ``gather*``."""
    rel = getattr(st, "rel", "=")
    if rel not in _REL_TEX:
        return " \\\\\n".join(_expr_lines(st.relation()))
    return " \\\\\n".join(_relation_lines(st.before, rel, st.after))


def breakable(value: Any) -> str:
    r""":func:`plain_text` with line-break opportunities after ``( , * =`` (long machine-made strings).

    Examples
    --------
    >>> breakable("f(a,b)")
    'f(\\allowbreak{}a,\\allowbreak{}b)'
    """
    out = plain_text(value)
    for ch in "(,*=":
        out = out.replace(ch, ch + "\\allowbreak{}")
    return out


def _counterexample_text(counterexample: Any) -> str:
    return breakable(json.dumps(counterexample, sort_keys=True, default=str))


def _proof_tex(thm: Any, result: Any, steps: list[str]) -> str:
    """The proof paragraph: the verified steps, or why there is no symbolic proof."""
    if not steps:
        reason = thm.reason or result.reason
        return r"\emph{No symbolic proof}" + (f" ({plain_text(reason)})." if reason else ".")
    ok = all(sr.ok for sr in result.steps)
    verdict = ("Every step was verified by SymPy under the assumptions." if ok else
               "SymPy could not verify the steps marked below, so the symbolic proof does not stand.")
    return render("theorem_proof", {"verdict": verdict, "steps": "\n".join(steps)})


def theorem_section(name: str) -> str:
    """The LaTeX section of one theorem (template ``theorem``), with its proof result."""
    proofs = _proofs()
    thm = proofs.theorem(name)
    result = proofs.prove(name)
    statement = "\n".join(render("statement", {"lines": part}) for part in _relations_tex(thm.statement))
    assumptions = [tex(rel) for rel in thm.assumption_relations()]
    steps = []
    for sr in result.steps:
        st = sr.step
        why = f": {plain_text(st.why)}" if st.why else ""
        mark = "" if sr.ok else r" \textbf{(not verified: " + breakable(sr.reason or "") + ")}"
        steps.append(render("theorem_step", {
            "rule": plain_text(st.rule), "why": why + mark, "relation": _step_tex(st)}))
    uses = ", ".join(f"\\hyperref[{label_of(u)}]{{\\texttt{{{text(u)}}}}}" for u in thm.uses) or "none"
    grid = getattr(thm, "grid", None)
    if grid is None:
        grid_text = "No grid cross-check."
    else:
        grid_text = f"{breakable(grid.description)}: {result.grid_count} configurations"
        grid_text += (", counterexample " + _counterexample_text(result.counterexample)
                      if result.counterexample is not None else ", all agree.")
    values = {
        "title": plain_text(thm.title or name),
        "title_pdf": pdf_text(thm.title or name),
        "label": label_of(name),
        "name": text(name),
        "kind": text(thm.kind),
        "family": text(thm.family),
        "reference": plain_text(thm.reference) if thm.reference else "---",
        "statement": statement,
        "assumptions": (",\\quad ".join(assumptions) if assumptions else r"\text{none beyond the symbols' types}"),
        "uses": uses,
        "proof": _proof_tex(thm, result, steps),
        "grid": grid_text,
        "status": text(result.status),
        "status_reason": f" --- {breakable(result.reason)}" if result.reason else "",
    }
    return render("theorem", values)


def theorems_intro(figure: str) -> tuple[str, dict]:
    """The section introducing the theorems: summary table and the graph figure; and the status counts."""
    proofs = _proofs()
    rows, counts = [], {}
    for name in theorem_order():
        thm, result = proofs.theorem(name), proofs.prove(name)
        counts[result.status] = counts.get(result.status, 0) + 1
        rows.append(f"\\ref{{{label_of(name)}}} & \\texttt{{{text(name)}}} & {text(thm.kind)} & "
                    f"{result.grid_count} & \\status{{{text(result.status)}}} \\\\")
    summary = ", ".join(f"{counts[s]} {text(s)}" for s in sorted(counts))
    body = render("theorems_intro", {"rows": "\n".join(rows), "figure": figure, "summary": summary})
    return body, counts
