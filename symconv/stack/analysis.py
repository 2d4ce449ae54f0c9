r"""Analysing a stack: sizes, receptive fields, overlap patterns and decoder checks of a whole network.

:func:`analyze` runs a stack (:mod:`symconv.stack.load`) on an input size and reports, per layer,
the output size (int and symbolic in ``i``), the receptive field and jump, the overlap pattern and
checkerboard verdict of transposed layers, and whether upsampling layers restore the encoder's
sizes (with the ``output_padding`` that would). Sizes come from the specs (:mod:`symconv.spec`,
:mod:`symconv.shapes`), overlaps and receptive hulls from :mod:`symconv.graphs`, and the size
rules a fix must obey from the specs' own validation (:mod:`symconv.stack.advice`).
:func:`repairs` orders the advice (each fix assumes the earlier ones and is verified by
re-running the stack); :func:`stack_graph` is the connectivity graph of a whole (small) stack.

Examples
--------
>>> report = analyze([{"op": "max_pool", "kernel_size": 2},
...                   {"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1}], 8, ndim=1)
>>> report.layers[1].output_size, report.layers[1].restore.output_padding
((7,), (1,))
>>> report.layers[1].restore.fix
'use output_padding=1 (verified: the stack then restores [8])'
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import sympy as sp

from .. import graphs
from ..spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from .advice import (Fix, kernel_remedy, output_padding_for, per_axis, restoring_change, with_output_padding,
                     with_unpool_output_size)
from .closed_form import merge_floors
from .load import Layer, Stack, input_tuple, load_stack
from .report import LayerAnalysis, Overlap, Restore, StackAnalysis, as_number, compact

__all__ = ["analyze", "repairs", "stack_graph", "sizes_fixed"]

_GATHER = (ConvSpec, MaxPoolSpec, AvgPoolSpec)
_SCATTER = (ConvTransposeSpec, MaxUnpoolSpec)


def _down(spec: Any) -> bool:
    return isinstance(spec, _GATHER) and any(s != 1 for s in spec.stride)


def _up(spec: Any) -> bool:
    if isinstance(spec, ConvTransposeSpec):
        return any(s != 1 for s in spec.stride)
    if isinstance(spec, MaxUnpoolSpec):
        return True
    if isinstance(spec, UpsampleSpec):
        return any(o != i for i, o in zip(spec.input_size, spec.output_size))
    return False


def _period(pattern: tuple[int, ...]) -> int:
    n = len(pattern)
    for q in range(1, n + 1):
        if n % q == 0 and all(pattern[j] == pattern[(j + q) % n] for j in range(n)):
            return q
    return n


def _overlap(spec: ConvTransposeSpec) -> Overlap:
    patterns = tuple(graphs.overlap_pattern(k, s, pb, d) for k, s, (pb, _pa), d in
                     zip(spec.kernel_size, spec.stride, spec.padding, spec.dilation))
    lows, highs = [], []
    for j, (low, high) in enumerate(graphs.interior(spec)):
        # interior outputs receive every contribution their phase can have: the pattern, without
        # materialising the counts (the output may be huge)
        s = spec.stride[j]
        values = [patterns[j][m % s] for m in range(low, min(high, low + s))] if high > low else patterns[j]
        lows.append(int(min(values)))
        highs.append(int(max(values)))
    return Overlap(int(np.prod(lows)), int(np.prod(highs)), tuple(_period(p) for p in patterns), patterns)


def sizes_fixed(sizes: tuple, spec: ConvTransposeSpec) -> bool:
    """True when the remedy's sizes differ from the layer's own (earlier fixes changed them)."""
    return tuple(sizes) != tuple(zip(spec.input_size, spec.output_size))


def _checkerboard(spec: ConvTransposeSpec, overlap: Overlap, sizes: tuple) -> tuple[list[str], list[str]]:
    """Warnings and remedies of an uneven overlap; ``sizes`` is (input, output to produce) per axis."""
    warnings, remedies, kernels = [], [], {}
    uneven = [j for j, p in enumerate(overlap.pattern) if min(p) != max(p)]
    grouped: dict[str, list[int]] = {}
    for j in uneven:
        k, s, d = spec.kernel_size[j], spec.stride[j], spec.dilation[j]
        p = overlap.pattern[j]
        g = math.gcd(s, d)
        if g > 1 and min(p) == 0:
            why = (f"dilation={d} and stride={s} share the factor {g}, so outputs at {s - s // g} of every "
                   f"{s} phases receive no contribution at all")
        elif d == 1:
            why = f"kernel_size % stride = {k} % {s} = {k % s} != 0"
        else:
            why = f"kernel_size={k} is not divisible by stride/gcd(stride, dilation) = {s // g}"
        text = (f"{why}; interior outputs receive {min(p)} to {max(p)} contributions (pattern {list(p)} by "
                f"output position mod {s}, period {overlap.period[j]})")
        grouped.setdefault(text, []).append(j)
        kernels[j] = kernel_remedy(spec, j, *sizes[j])
    for text, axes in grouped.items():
        where = "" if spec.ndim == 1 else (" on every axis" if len(axes) == spec.ndim
                                           else f" on axis {', '.join(map(str, axes))}")
        warnings.append(f"checkerboard{where}: {text}")
    if uneven and spec.ndim > 1:
        warnings.append(f"checkerboard: the per-axis patterns multiply, interior overlap ranges from "
                        f"{overlap.min} to {overlap.max} in {spec.ndim}-D")
    if uneven:
        fixed = {j: kr for j, kr in kernels.items() if kr}
        if fixed:
            same = len(set(fixed.values())) == 1 and len(fixed) == spec.ndim
            text = (next(iter(fixed.values())) + (" on every axis" if spec.ndim > 1 else "") if same else
                    "; ".join(f"axis {j}: {kr}" for j, kr in sorted(fixed.items())))
            target = compact([t for _, t in sizes])
            why = "the restoring size" if sizes_fixed(sizes, spec) else "unchanged"
            remedies.append(f"kernel divisible by stride: {text} (even overlap; output {target}, {why}; "
                            f"learned kernels may still show milder artefacts)")
        stride = spec.stride[0] if len(set(spec.stride)) == 1 else list(spec.stride)
        remedies.append(f"resize-then-conv: upsample(scale_factor={stride}, mode='nearest') followed by "
                        f"conv(kernel_size={compact(spec.kernel_size)}, stride=1, padding='same') "
                        f"(Odena, Dumoulin & Olah 2016)")
    return warnings, remedies


def _restore(spec: Any, size_in: tuple, size_out: tuple, sym_in: tuple | None, target: tuple,
             target_sym: tuple | None, of: int) -> Restore:
    exact = tuple(size_out) == tuple(target)
    padding, padding_sym, fix = None, None, None
    if isinstance(spec, ConvTransposeSpec):
        need = output_padding_for(spec, size_in, target)
        ok = with_output_padding(spec, need) is not None        # the spec's rule: 0 <= a < max(s, d)
        padding = need if ok else None
        if sym_in is not None and target_sym is not None:
            padding_sym = tuple(merge_floors(sp.expand(a)) for a in output_padding_for(spec, sym_in, target_sym))
        if not exact:
            if ok:
                fix = f"use {per_axis('output_padding', need)} (or forward(x, output_size={list(target)}))"
            else:
                fix = (f"no output_padding restores {list(target)} (needed {compact(need)}, allowed "
                       f"0 <= output_padding < max(stride, dilation)); change padding/kernel_size, or pad or crop "
                       f"to the mirrored size")
    elif not exact and isinstance(spec, MaxUnpoolSpec):
        if with_unpool_output_size(spec, target) is not None:   # the spec's rule: within default +- stride
            fix = f"pass output_size={list(target)} (PyTorch: unpool(x, indices, output_size=...))"
        else:
            fix = (f"output_size={list(target)} is out of reach (must lie strictly within default "
                   f"{list(spec.default_output_size)} +- stride)")
    elif not exact:
        fix = f"use size={list(target)}"
    return Restore(of, tuple(target), exact, padding, padding_sym, fix)


def _symbols_for(input_size: tuple) -> tuple:
    if len(set(input_size)) == 1:
        i = sp.Symbol("i", integer=True, positive=True)
        return (i,) * len(input_size)
    return tuple(sp.Symbol(f"i_{j}", integer=True, positive=True) for j in range(len(input_size)))


def _symbolic_output(spec: Any, sym_in: tuple | None) -> tuple | None:
    if sym_in is None:
        return None
    try:
        out = spec.with_input(sym_in).output_size
    except (TypeError, ValueError):
        return None
    return tuple(_settle(merge_floors(v)) for v in out)


def _settle(expr: Any) -> Any:
    """A ``Piecewise`` size whose branch Z3 decides for every positive input, as that branch.

    Ceil-mode pooling's "drop a last window that starts in the padding" is a ``Piecewise`` in
    the symbolic input; with no left padding that branch is never taken, and the size reads
    as one expression.
    """
    if not isinstance(expr, sp.Piecewise):
        return expr
    from ..condition import prove
    positive = [sp.Ge(x, 1) for x in expr.free_symbols]
    for value, condition in expr.args:
        if condition is sp.true or prove(condition, positive, 500)[0] == "certified":
            return value
        if prove(sp.Not(condition), positive, 500)[0] != "certified":
            return expr
    return expr


def analyze(stack: Any, input_size: Any = None, ndim: int | None = None, symbolic: bool = True,
            advise: bool = True) -> StackAnalysis:
    r"""Analyse a stack of layers on an input size.

    Parameters
    ----------
    stack : Stack, list of layers, dict with ``layers``, or path of a JSON/YAML file
        See :func:`load_stack`.
    input_size : int or sequence of int, optional
        Spatial input size; defaults to the file's ``input_size``.
    ndim : int, optional
        Number of spatial dimensions (see :func:`load_stack`).
    symbolic : bool
        Also derive the symbolic sizes (default); False skips SymPy for speed.
    advise : bool
        Size advice in order (default): each fix assumes the earlier ones applied and is verified
        by re-running the stack (:func:`repairs`).

    Returns
    -------
    StackAnalysis
        Per layer (:class:`LayerAnalysis`): ``output_size`` (ints) and ``output_size_symbolic``
        (in ``i``, or ``i_0, i_1...`` for non-square inputs); ``receptive_field`` and ``jump``
        per axis in input pixels (exact rationals once the jump drops below 1); for transposed
        convolutions ``overlap`` (:class:`Overlap`), ``checkerboard`` with the triggering condition
        in ``warnings`` and the usual fixes in ``remedies``; for upsampling layers that mirror a
        downsampling one, ``restore`` (:class:`Restore`).

    Raises
    ------
    TypeError, ValueError
        A bad stack or input size, or a layer that does not fit its input (the message names the
        layer); a ``max_unpool`` whose input is not the size its pool produced.

    Examples
    --------
    >>> stack = [{"op": "max_pool", "kernel_size": 2}, {"op": "max_unpool", "of": 0}]
    >>> report = analyze(stack, (5, 6))
    >>> report.layers[0].output_size, report.layers[1].output_size
    ((2, 3), (4, 6))
    >>> report.layers[1].restore.fix
    'use output_size=[5, 6] (PyTorch: unpool(x, indices, output_size=...)) (verified: the stack then restores [5, 6])'
    >>> report.layers[0].output_size_symbolic
    (floor(i_0/2), floor(i_1/2))

    Notes
    -----
    Receptive field and jump are exact for an output away from the borders. Each layer maps an
    output to a set of sources (conv/pool: :math:`r s - p_b + t d`; transposed conv/unpool:
    :math:`(m + p_b - t d)/s` where integral; interpolation: its taps with nonzero weight), and
    the hull :math:`[lo(n), hi(n)]` of input pixels seen by output ``n`` is quasi-periodic,
    :math:`lo(n + P) = lo(n) + Q`; one period per layer is composed, the receptive field is the
    largest :math:`hi - lo + 1` and the jump is :math:`Q/P` (a rational below 1 once the stack
    upsamples past its input). For convolutions and pooling this is the closed form
    :math:`RF_L = 1 + \sum_{l=1}^{L} d_l (k_l - 1) \prod_{m<l} s_m`, :math:`J_L = \prod_l s_l`
    (proven for equal layers by :func:`repeated_layers`); after transposed layers the hulls are
    not translates of each other and the mean-jump formula can be off, which is why the hulls
    are composed instead.
    The decoder check pairs each upsampling layer with ``of`` or, by default, the most recent
    unpaired downsampling layer (stride > 1), as in an encoder-decoder.
    """
    if not isinstance(stack, Stack):
        stack = load_stack(stack, ndim=ndim, input_size=input_size)
    if input_size is None:
        input_size = stack.input_size
    if input_size is None:
        raise ValueError("analyze: input_size is required (pass it, or put input_size in the stack file)")
    size = start = input_tuple(input_size, stack.ndim)
    fixes, repaired = [], None
    if advise and any(isinstance(layer.spec, _SCATTER + (UpsampleSpec,)) or layer.of is not None
                      for layer in stack.layers):
        try:
            fixes, repaired = repairs(stack, start)
        except (TypeError, ValueError):
            fixes, repaired = [], None
    symbols = _symbols_for(size)
    sym: tuple | None = symbols if symbolic else None
    hulls = [graphs.ReceptiveHull.identity()] * stack.ndim
    rf: list = [1] * stack.ndim
    jump: list = [sp.Integer(1)] * stack.ndim
    results: list[LayerAnalysis] = []
    open_down: list[int] = []
    for index, layer in enumerate(stack.layers):
        where = f"analyze: layer {index} ({layer.op})"
        if isinstance(layer.spec, MaxUnpoolSpec) and layer.of is not None:
            pooled = results[layer.of].output_size
            if tuple(size) != tuple(pooled):
                raise ValueError(f"{where}: its input size {list(size)} differs from the size {list(pooled)} "
                                 f"max_pool layer {layer.of} produced (the indices would not match)")
        try:
            spec = layer.spec.with_input(size)
            out = tuple(int(v) for v in spec.output_size)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where} on input {list(size)}: {exc}") from None
        out_sym = _symbolic_output(layer.spec, sym)
        for j in range(stack.ndim):
            hulls[j] = hulls[j].then(spec, j)
            rf[j] = hulls[j].receptive_field
            jump[j] = hulls[j].jump
        overlap, checker, warnings, remedies = None, False, [], []
        if isinstance(spec, ConvTransposeSpec):
            overlap = _overlap(spec)
            checker = not overlap.even
            if checker:
                after = repaired.layers[index] if repaired is not None else None
                sizes = tuple(zip(after.input_size, after.output_size)) if after is not None else \
                    tuple(zip(size, out))
                warnings, remedies = _checkerboard(spec, overlap, sizes)
        restore = None
        if _down(spec):
            open_down.append(index)
        if _up(spec) or layer.of is not None:
            partner = layer.of
            if partner is None and open_down:
                partner = open_down.pop()
            elif partner is not None and partner in open_down:
                open_down.remove(partner)
            if partner is not None:
                mirrored = results[partner]
                target_sym = None
                if sym is not None and mirrored.input_size is not None:
                    target_sym = _symbolic_input(results, partner, symbols)
                restore = _restore(spec, size, out, sym, mirrored.input_size, target_sym, partner)
                if not restore.exact:
                    restore = replace(restore, fix=_in_order(index, restore, fixes, repaired))
                    warnings.append(f"size: output {list(out)} does not restore {list(restore.target)}, the input "
                                    f"of layer {partner} it mirrors; {restore.fix}")
        results.append(LayerAnalysis(index, layer.op, layer.name, spec, tuple(size), out, out_sym,
                                     tuple(as_number(v) for v in rf), tuple(as_number(v) for v in jump), overlap,
                                     checker, tuple(warnings), tuple(remedies), restore))
        size, sym = out, out_sym
    return StackAnalysis(start, symbols, tuple(results))


def _in_order(index: int, restore: Restore, fixes: list, repaired: Any) -> str:
    """The size advice for layer ``index`` given the (verified) fixes of the layers before it."""
    earlier = [f for f in fixes if f.index < index]
    before = "; ".join(f"layer {f.index}: {f.change}" for f in earlier)
    own = next((f for f in fixes if f.index == index), None)
    if own is not None:
        given = f", given the fix above ({before})" if earlier else ""
        return f"use {own.change}{given} (verified: the stack then restores {list(own.target)})"
    if repaired is not None and index < len(repaired.layers) and repaired.layers[index].restore is not None \
            and repaired.layers[index].restore.exact and earlier:
        return f"nothing to change here: it restores {list(restore.target)} once the fix above is applied ({before})"
    if earlier:
        return f"{restore.fix} (judged on the sizes before the fix above, {before})"
    return restore.fix


def _symbolic_input(results: list[LayerAnalysis], index: int, symbols: tuple) -> tuple | None:
    return symbols if index == 0 else results[index - 1].output_size_symbolic


def repairs(stack: Any, input_size: tuple) -> tuple[list, Any]:
    """Fix the decoder's size mismatches in order; returns (verified fixes, the analysis after them).

    Walks the stack's decoder checks from the first layer to the last. At the first upsampling
    layer that does not restore the size it mirrors, it changes the one parameter that restores
    it (:func:`symconv.stack.advice.restoring_change`), re-runs the whole stack with that change,
    and moves on; so a later layer is judged on the sizes it would see once the earlier ones are
    fixed. Every fix is kept only if the re-run stack restores that layer exactly; a layer no
    single parameter can fix ends the walk.

    Examples
    --------
    >>> stack = load_stack([{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1}] * 2 +
    ...                    [{"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1},
    ...                     {"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1}], ndim=1)
    >>> fixes, final = repairs(stack, (100,))
    >>> [(f.index, f.change) for f in fixes]
    [(2, 'output_padding=1')]
    >>> final.layers[-1].output_size, final.restores_encoder
    ((100,), True)
    """
    layers = list(stack.layers)
    fixes: list = []
    report = analyze(stack, input_size, symbolic=False, advise=False)
    for _ in range(len(layers)):
        wrong = next((layer for layer in report.layers
                      if layer.restore is not None and not layer.restore.exact), None)
        if wrong is None:
            break
        change = restoring_change(wrong)
        if change is None:
            break
        spec, text = change
        trial = list(layers)
        trial[wrong.index] = Layer(spec.with_input(None) if spec.input_size is not None else spec,
                                   layers[wrong.index].of, layers[wrong.index].name)
        try:
            rerun = analyze(Stack(tuple(trial), stack.ndim, stack.input_size), input_size, symbolic=False,
                            advise=False)
        except (TypeError, ValueError):
            break
        if not rerun.layers[wrong.index].restore.exact:
            break
        layers, report = trial, rerun
        fixes.append(Fix(wrong.index, text, tuple(wrong.restore.target), trial[wrong.index].spec))
    return fixes, report


def stack_graph(stack: Any, input_size: Any = None, axis: int | None = None) -> Any:
    """The connectivity graph of a whole stack: nodes ``(layer, position)``, layer 0 the input.

    Layer ``l + 1`` holds the outputs of stack layer ``l``; edges keep their ``tap``. Meant for
    small sizes (see :data:`symconv.graphs.GRAPH_EDGE_LIMIT`); ``axis=j`` builds one axis.

    Examples
    --------
    >>> import networkx as nx
    >>> g = stack_graph([ConvSpec(3, stride=2), ConvSpec(3, stride=2)], 11)
    >>> sorted(p for (layer, p) in nx.ancestors(g, (2, (1,))) if layer == 0)[:3], len(nx.ancestors(g, (2, (1,))))
    ([(4,), (5,), (6,)], 10)
    """
    import networkx as nx
    report = analyze(stack, input_size, symbolic=False)
    g = nx.DiGraph()
    for layer in report.layers:
        part = graphs.graph(layer.spec, axis=axis)
        level = {"in": layer.index, "out": layer.index + 1}
        g.add_nodes_from((level[side], pos) for side, pos in part.nodes)
        g.add_edges_from(((level[u[0]], u[1]), (level[v[0]], v[1]), data) for u, v, data in part.edges(data=True))
    return g
