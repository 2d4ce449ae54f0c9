r'''A small IR for generated modules: statements, functions and a module, rendered to text.

Nodes hold SymPy expressions (printed by :class:`~symconv.codegen.printer.KernelPrinter`)
or already-rendered source lines; :func:`render` turns a :class:`Module` into the text of
a standalone Python file. Rendering is pure, so the same IR always gives the same bytes.

Examples
--------
>>> import sympy as sp
>>> w = sp.Symbol("in_w", integer=True)
>>> body = [Assign("out_w", sp.floor((w - 3) / 2) + 1), Return("out_w")]
>>> print(render(Module("Doc.", (), (Function("size", ("in_w",), "Output size.", body),), ("size",))))
"""Doc."""
import numpy as np
<BLANKLINE>
__all__ = ["size"]
<BLANKLINE>
<BLANKLINE>
def size(in_w):
    """Output size."""
    out_w = (in_w - 3)//2 + 1
    return out_w
<BLANKLINE>
'''
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .printer import check_identifier, print_code

__all__ = ["Assign", "Line", "Comment", "Return", "Block", "Check", "Function", "Module", "render", "docstring",
           "expression", "call", "source_tuple", "placeholders"]


@dataclass(frozen=True)
class Assign:
    """``target = value``; ``value`` a SymPy expression, an int, or a nested tuple of them."""

    target: str
    value: Any
    array: bool = False

    def lines(self) -> list[str]:
        check_identifier(self.target.split(",")[0].strip(), "assignment target")
        return [f"{self.target} = {expression(self.value, self.array)}"]


@dataclass(frozen=True)
class Line:
    """One source line written by the lowering (never user text)."""

    text: str

    def lines(self) -> list[str]:
        return [self.text]


@dataclass(frozen=True)
class Comment:
    """``# text``."""

    text: str

    def lines(self) -> list[str]:
        return [f"# {line}".rstrip() for line in self.text.splitlines()]


@dataclass(frozen=True)
class Return:
    """``return value``."""

    value: str

    def lines(self) -> list[str]:
        return [f"return {self.value}"]


@dataclass(frozen=True)
class Block:
    """``header:`` followed by an indented body."""

    header: str
    body: tuple

    def lines(self) -> list[str]:
        return [f"{self.header}:"] + ["    " + line if line else "" for node in self.body for line in node.lines()]


@dataclass(frozen=True)
class Check:
    """``if condition: raise error(f"message")``: a run-time check of the generated code.

    ``condition`` is source text (or a SymPy relational); ``message`` is the body of an f-string
    in the generated module, whose ``{...}`` are placeholders evaluated there (see
    :func:`placeholders`) -- the lowering never writes ``raise`` itself.

    >>> Check("in_w != 5", "conv: got {in_w}").lines()
    ['if in_w != 5:', '    raise ValueError(f"conv: got {in_w}")']
    """

    condition: Any
    message: str
    error: str = "ValueError"

    def lines(self) -> list[str]:
        condition = self.condition if isinstance(self.condition, str) else expression(self.condition)
        return [f"if {condition}:", f'    raise {check_identifier(self.error, "exception")}(f"{self.message}")']


@dataclass(frozen=True)
class Function:
    """A function definition with a docstring."""

    name: str
    params: tuple
    doc: str
    body: tuple

    def lines(self) -> list[str]:
        check_identifier(self.name, "function name")
        head = [f"def {self.name}({', '.join(self.params)}):"]
        doc = ["    " + line if line else "" for line in docstring(self.doc).splitlines()]
        return head + doc + ["    " + line if line else "" for node in self.body for line in node.lines()]


@dataclass(frozen=True)
class Module:
    """A generated module: docstring, ``import numpy as np``, constants, helpers, functions."""

    doc: str
    constants: tuple
    functions: tuple
    exports: tuple
    helpers: tuple = ()


def expression(value: Any, array: bool = False) -> str:
    """Source text of a SymPy expression, an int, a string literal, or nested tuples of them.

    Examples
    --------
    >>> expression((1, (2, 3)))
    '(1, (2, 3))'
    """
    if isinstance(value, tuple):
        inner = ", ".join(expression(v, array) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str):
        return repr(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    return print_code(value, array)


def call(function: str, *args: Any) -> str:
    """Source text of a call: string arguments are source text already, others go through :func:`expression`.

    >>> import sympy as sp
    >>> call("_output", "out", (sp.Symbol("out_h"), 4))
    '_output(out, (out_h, 4))'
    """
    rendered = ", ".join(a if isinstance(a, str) else expression(a) for a in args)
    return f"{function}({rendered})"


def source_tuple(items: Any) -> str:
    """A tuple display of source texts (names, expressions already rendered): ``(a, b)``, ``(a,)``.

    >>> source_tuple(["base_h", "base_w"]), source_tuple(["base_w"])
    ('(base_h, base_w)', '(base_w,)')
    """
    items = list(items)
    return f"({', '.join(items)},)" if len(items) == 1 else f"({', '.join(items)})"


def placeholders(names: tuple) -> str:
    """An f-string fragment showing a tuple of generated-code values: ``({out_h}, {out_w})``.

    >>> placeholders(("out_w",))
    '({out_w},)'
    """
    inner = ", ".join(f"{{{n}}}" for n in names)
    return f"({inner},)" if len(names) == 1 else f"({inner})"


def docstring(text: str) -> str:
    """A triple-quoted docstring with backslashes and quotes made safe."""
    safe = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if "\n" not in safe:
        return f'"""{safe}"""'
    return f'"""{safe}\n"""'


def render(module: Module) -> str:
    """The text of a module (ends with one newline)."""
    out = [docstring(module.doc), "import numpy as np", ""]
    out.append("__all__ = [" + ", ".join(f'"{check_identifier(n)}"' for n in module.exports) + "]")
    if module.constants:
        out.append("")
        for node in module.constants:
            out.extend(node.lines())
    for helper in module.helpers:
        out.extend(["", "", helper.rstrip("\n")])
    for function in module.functions:
        out.extend(["", ""] + function.lines())
    return "\n".join(out) + "\n"
