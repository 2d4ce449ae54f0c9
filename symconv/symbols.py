"""The paper's letters as SymPy integer symbols (Dumoulin & Visin's notation).

``i`` input size, ``k`` kernel size, ``s`` stride, ``d`` dilation (all >= 1);
``p`` symmetric padding, ``p_b``/``p_a`` padding before/after, ``a`` output padding
(all >= 0); ``o`` an output size; ``r``, ``c``, ``t`` output, input and tap indices.

Examples
--------
>>> from symconv.symbols import i, k, s
>>> (i - k + s).is_integer
True
"""
import sympy as sp

i, k, s, d, o = sp.symbols("i k s d o", integer=True, positive=True)
p, p_b, p_a, a = sp.symbols("p p_b p_a a", integer=True, nonnegative=True)
r, c, t = sp.symbols("r c t", integer=True, nonnegative=True)

#: Symbols by name, for parsers and the command line.
BY_NAME = {str(x): x for x in (i, k, s, d, o, p, p_b, p_a, a, r, c, t)}

__all__ = ["i", "k", "s", "d", "o", "p", "p_b", "p_a", "a", "r", "c", "t", "BY_NAME"]
