"""Hypothesis strategies for small, valid operator configurations (1-D to 3-D)."""
from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st


@st.composite
def conv_configs(draw, max_ndim: int = 3, max_size: int = 7, channels: bool = True):
    """A valid convolution: sizes, kernel, stride, asymmetric padding, dilation, groups."""
    ndim = draw(st.integers(1, max_ndim))
    k = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    s = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    d = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    p = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
    i = []
    for kj, dj, (pb, pa) in zip(k, d, p):
        smallest = max(1, dj * (kj - 1) + 1 - pb - pa)
        assume(smallest <= max_size)
        i.append(draw(st.integers(smallest, max_size)))
    if channels:
        groups = draw(st.integers(1, 2))
        cin = groups * draw(st.integers(1, 2))
        cout = groups * draw(st.integers(1, 2))
    else:
        groups, cin, cout = 1, 1, 1
    return dict(input_size=tuple(i), kernel_size=k, stride=s, padding=p, dilation=d,
                in_channels=cin, out_channels=cout, groups=groups)
