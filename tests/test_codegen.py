"""Code generation: the printer, determinism, generic (symbolic-size) kernels, standalone modules, the CLI."""
from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp

from symconv import shapes
from symconv.cli import main
from symconv.codegen import lower, module_source, print_code
from symconv.codegen.printer import check_identifier
from symconv.spec import AvgPoolSpec, ConvSpec, ConvTransposeSpec, MaxPoolSpec, MaxUnpoolSpec, UpsampleSpec
from tests.oracles import (avg_pool_loop, conv_loop, conv_transpose_scatter, max_pool_loop, max_unpool_loop,
                           upsample_loop)

i_sym = sp.Symbol("in_w", integer=True, positive=True)

SPECS = [
    ConvSpec((3, 3), stride=2, padding=1, in_channels=3, out_channels=4),
    ConvSpec(3, dilation=2, padding=(1, 2), in_channels=4, out_channels=4, groups=4, ndim=1),
    ConvTransposeSpec((4, 4), stride=2, padding=1, in_channels=2, out_channels=3),
    MaxPoolSpec((3, 3), stride=2, padding=1, ceil_mode=True),
    AvgPoolSpec((3, 3), stride=2, padding=1, count_include_pad=False),
    MaxUnpoolSpec((2, 2)),
    UpsampleSpec(scale_factor=2, mode="bilinear"),
]


# --------------------------------------------------------------------------- the printer


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("k,s,pb,pa,d", [(3, 2, 1, 1, 1), (2, 3, 0, 1, 2), (5, 1, 2, 2, 1), (3, 3, 1, 0, 3)])
def test_printed_sizes_equal_the_formulas(k, s, pb, pa, d, ceil_mode):
    expr = shapes.window_count_axis(i_sym, k, s, pb, pa, d, ceil_mode)
    text = print_code(expr)
    assert "floor" not in text and "math" not in text and "ceil" not in text
    fn = eval(compile(f"lambda in_w: {text}", "<printed>", "eval"))  # our own printed text
    for i in range(max(1, d * (k - 1) + 1 - pb - pa), 40):
        assert fn(i) == shapes.window_count_axis(i, k, s, pb, pa, d, ceil_mode)


def test_printer_integer_division_precedence_and_arrays():
    assert print_code(sp.floor((i_sym + 2 - 3) / 2) + 1) == "(in_w - 1)//2 + 1"
    assert print_code(2 * sp.floor(i_sym / 3)) == "2*(in_w//3)"
    assert print_code(sp.ceiling(i_sym / 3)) == "-(-in_w//3)"
    assert print_code(sp.Mod(i_sym + 1, 4)) == "(in_w + 1) % 4"
    assert print_code(sp.Min(i_sym, 3)) == "min(3, in_w)"
    assert print_code(sp.Min(i_sym, 3, i_sym + 5, evaluate=False), array=True) == "np.minimum(np.minimum(3, in_w), in_w + 5)"
    assert print_code(sp.Rational(3, 4) * 4) == "3"
    for v in range(1, 20):
        assert eval(print_code(sp.ceiling(-i_sym / 3 + 1)), {"in_w": v}) == -(-(3 - v) // 3)


def test_printer_refuses_dummies_bad_names_and_non_integer_division():
    with pytest.raises(ValueError, match="Dummy"):
        print_code(sp.Dummy("t", integer=True) + 1)
    with pytest.raises(ValueError, match="identifier"):
        print_code(sp.Symbol("import os", integer=True) + 1)
    with pytest.raises(ValueError, match="identifier"):
        check_identifier("__class__")
    with pytest.raises(ValueError, match="integer division"):
        print_code(sp.floor(sp.Symbol("x", real=True) / 2))


# --------------------------------------------------------------------------- module text


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_source_is_standalone_readable_and_cached(spec):
    kernel = lower(spec)
    tree = ast.parse(kernel.source)
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [(alias.name, alias.asname) for node in imports for alias in node.names] == [("numpy", "np")]
    assert ast.get_docstring(tree).startswith(f"{kernel.name}:")
    for word in ("Shapes", "Formula", "Spec", type(spec).__name__):
        assert word in ast.get_docstring(tree)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert not names & {"math", "floor", "ceiling", "Mod", "Min", "Max"} and "Dummy" not in kernel.source
    exports = [n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__"]
    assert ast.literal_eval(exports[0].value) == [kernel.name]
    assert kernel.name in {"conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "upsample"}
    assert lower(spec) is kernel
    assert module_source(spec) == kernel.source


def test_source_is_byte_identical_across_processes():
    code = textwrap.dedent("""
        import hashlib
        from symconv.codegen.lower import lower
        from symconv.spec import ConvSpec, ConvTransposeSpec, MaxPoolSpec
        specs = [ConvSpec((3, 3), stride=2, padding=1, in_channels=3, out_channels=4),
                 ConvTransposeSpec((4, 4), stride=2, padding=1, in_channels=2, out_channels=3),
                 MaxPoolSpec((3, 3), stride=2, padding=1, ceil_mode=True)]
        print(hashlib.sha256("".join(lower(s).source for s in specs).encode()).hexdigest())
    """)
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        digests.add(out.stdout.strip())
    here = hashlib.sha256("".join(lower(s).source for s in SPECS[:1] + SPECS[2:4]).encode()).hexdigest()
    assert digests == {here}


# --------------------------------------------------------------------------- generic and specialised kernels


def test_generic_conv_kernel_serves_every_input_size():
    spec = ConvSpec((3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2), in_channels=2, out_channels=3)
    kernel = lower(spec)
    assert "out_h = in_h//2" in kernel.source and "out_w = in_w - 1" in kernel.source
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 2, 3, 2))
    for size in [(2, 2), (5, 7), (8, 3)]:
        x = rng.standard_normal((2, 2) + size)
        np.testing.assert_allclose(kernel(x, w), conv_loop(x, w, None, (2, 1), ((1, 0), (0, 1)), (1, 2)),
                                   atol=1e-12)


def test_generic_transpose_and_pool_kernels():
    rng = np.random.default_rng(1)
    convt = lower(ConvTransposeSpec(3, stride=3, padding=(1, 0), dilation=2, output_padding=1, ndim=1))
    pool = lower(MaxPoolSpec(3, stride=2, padding=1, ceil_mode=True, ndim=1))
    avg = lower(AvgPoolSpec(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, ndim=1))
    w = rng.standard_normal((1, 1, 3))
    for i in range(1, 9):
        x = rng.standard_normal((1, 1, i))
        np.testing.assert_allclose(convt(x, w), conv_transpose_scatter(x, w, None, 3, ((1, 0),), 1, 2), atol=1e-12)
        if i >= 2:
            values, indices = pool(x, return_indices=True)
            ref_values, ref_indices = max_pool_loop(x, 3, 2, 1, 1, True)
            np.testing.assert_array_equal(values, ref_values)
            np.testing.assert_array_equal(indices, ref_indices)
            np.testing.assert_allclose(avg(x), avg_pool_loop(x, 3, 2, 1, True, False))


def test_user_symbols_and_repeated_symbols():
    i = sp.Symbol("i", integer=True, positive=True)
    kernel = lower(ConvSpec((3, 3), padding=1, input_size=(i, i)))
    x = np.ones((1, 1, 4, 4))
    assert kernel(x, np.ones((1, 1, 3, 3))).shape == (1, 1, 4, 4)
    with pytest.raises(ValueError, match="in_w"):
        kernel(np.ones((1, 1, 4, 5)), np.ones((1, 1, 3, 3)))


def test_concrete_kernel_checks_shapes_and_channels():
    kernel = lower(ConvSpec(3, in_channels=2, out_channels=3, input_size=(6,)))
    w = np.ones((3, 2, 3))
    assert kernel(np.ones((1, 2, 6)), w).shape == (1, 3, 4)
    with pytest.raises(ValueError, match="in_w = 6"):
        kernel(np.ones((1, 2, 7)), w)
    with pytest.raises(ValueError, match="2 channels"):
        kernel(np.ones((1, 3, 6)), w)
    with pytest.raises(ValueError, match="weight must have shape"):
        kernel(np.ones((1, 2, 6)), np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="3 dimensions"):
        kernel(np.ones((2, 6)), w)


def test_symbolic_channels_are_read_from_the_arrays():
    c = sp.Symbol("c", integer=True, positive=True)
    kernel = lower(ConvSpec(3, in_channels=c, out_channels=c, padding=1, ndim=1))
    rng = np.random.default_rng(2)
    for channels in (1, 3):
        x, w = rng.standard_normal((2, channels, 5)), rng.standard_normal((channels, channels, 3))
        np.testing.assert_allclose(kernel(x, w), conv_loop(x, w, None, 1, 1), atol=1e-12)


def test_symbolic_parameters_that_arrays_cannot_carry_are_rejected():
    s = sp.Symbol("s", integer=True, positive=True)
    with pytest.raises(ValueError, match="stride"):
        lower(ConvSpec(3, stride=s))
    with pytest.raises(TypeError, match="spec"):
        lower("conv")


# --------------------------------------------------------------------------- standalone modules


RUNNER = textwrap.dedent("""
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in ("symconv", "sympy"):
                raise ImportError(f"{name} is not available here")
            return None
    sys.meta_path.insert(0, Block())
    sys.path = [p for p in sys.path if "work/main" not in p]
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    module = __import__(sys.argv[2])
    data = np.load(sys.argv[3])
    args = [data[k] for k in sorted(data.files)]
    out = getattr(module, module.__all__[0])(*args)
    out = out if isinstance(out, tuple) else (out,)
    np.savez(sys.argv[4], *out)
""")


def test_written_modules_run_without_symconv(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 5))
    square = rng.standard_normal((2, 3, 6, 6))
    cases = {
        "k_conv": (["conv", "--k", "3", "--s", "2", "--p", "1", "--dims", "2", "--in-channels", "3",
                    "--out-channels", "4"], {"a": x, "b": rng.standard_normal((4, 3, 3, 3))},
                   lambda a, b: (conv_loop(a, b, None, 2, 1),)),
        "k_convt": (["conv_transpose", "--k", "4", "--s", "2", "--p", "1", "--dims", "2", "--in-channels", "3",
                     "--out-channels", "2"], {"a": x, "b": rng.standard_normal((3, 2, 4, 4))},
                    lambda a, b: (conv_transpose_scatter(a, b, None, 2, 1),)),
        "k_pool": (["max_pool", "--k", "2", "--dims", "2", "--i", "6"], {"a": square},
                   lambda a: (max_pool_loop(a, 2)[0],)),
        "k_avg": (["avg_pool", "--k", "3", "--s", "2", "--p", "1", "--dims", "2", "--exclude-pad", "--ceil-mode"],
                  {"a": x}, lambda a: (avg_pool_loop(a, 3, 2, 1, True, False),)),
        "k_up": (["upsample", "--mode", "bicubic", "--scale-factor", "2", "--dims", "2", "--align-corners"],
                 {"a": x}, lambda a: (upsample_loop(a, None, "bicubic", True, 2.0),)),
    }
    values, indices = max_pool_loop(square, 2)
    cases["k_unpool"] = (["max_unpool", "--k", "2", "--dims", "2"], {"a": values, "b": indices},
                         lambda a, b: (max_unpool_loop(a, b, (6, 6)),))
    for name, (argv, arrays, reference) in cases.items():
        target = tmp_path / f"{name}.py"
        assert main(["codegen"] + argv + ["--out", str(target)]) == 0
        np.savez(tmp_path / f"{name}_in.npz", **arrays)
        subprocess.run([sys.executable, "-I", "-c", RUNNER, str(tmp_path), name, str(tmp_path / f"{name}_in.npz"),
                        str(tmp_path / f"{name}_out.npz")], check=True, cwd=tmp_path)
        got = np.load(tmp_path / f"{name}_out.npz")
        expected = reference(*[arrays[k] for k in sorted(arrays)])
        for n, value in enumerate(expected):
            np.testing.assert_allclose(got[f"arr_{n}"], value, atol=1e-10, err_msg=name)


def test_cli_usage_errors_exit_2_with_one_line(tmp_path, capsys):
    assert main(["codegen", "conv", "--k", "0", "--out", str(tmp_path / "a.py")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "kernel_size" in err
    assert main(["codegen", "conv", "--k", "3", "--out", str(tmp_path / "missing" / "a.py")]) == 2
    assert main(["codegen", "max_pool", "--out", str(tmp_path / "b.py")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["codegen", "conv", "--k", "x3", "--out", "a.py"])
    assert exc.value.code == 2
    assert not any(p.name.startswith(".symconv-") for p in tmp_path.iterdir())


def test_cli_writes_the_lowered_source(tmp_path, capsys):
    target = tmp_path / "kernels.py"
    assert main(["codegen", "conv", "--k", "3", "--p", "1,0", "--in-channels", "1", "--out-channels", "1",
                 "--out", str(target)]) == 0
    assert target.read_text() == module_source(ConvSpec(3, padding=((1, 0),), ndim=1))
    assert main(["codegen", "conv", "--k", "3", "--in-channels", "1", "--out-channels", "1", "--out", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == module_source(ConvSpec(3, ndim=1)).splitlines()[-1]


def test_cli_kernels_are_channel_generic_unless_channels_are_given(tmp_path, torch):
    import importlib.util
    target = tmp_path / "generic.py"
    assert main(["codegen", "conv", "--k", "3", "--s", "2", "--p", "1", "--i", "7,9", "--out", str(target)]) == 0
    spec = importlib.util.spec_from_file_location("generic_kernel", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(0)
    x, w = rng.random((2, 3, 7, 9)), rng.random((5, 3, 3, 3))           # 3 channels in, 5 out, 2-D from --i
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1).numpy()
    np.testing.assert_allclose(module.conv(x, w), expected, rtol=1e-10)
    fixed = tmp_path / "fixed.py"
    assert main(["codegen", "conv", "--k", "3", "--in-channels", "2", "--out", str(fixed)]) == 0
    assert "x must have 2 channels" in fixed.read_text()


# --------------------------------------------------------------------------- golden module (SYMCONV_REGEN_GOLDEN=1)


GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "codegen_conv_k3_s2_p1_2d.py")


def test_golden_module_matches_and_agrees_with_the_oracle():
    spec = ConvSpec((3, 3), stride=2, padding=1, in_channels=3, out_channels=4)
    source = module_source(spec)
    if os.environ.get("SYMCONV_REGEN_GOLDEN") == "1":
        os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
        with open(GOLDEN, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(source)
    with open(GOLDEN, encoding="utf-8") as handle:
        assert source == handle.read()
    namespace: dict = {}
    exec(compile(source, GOLDEN, "exec"), namespace)  # the golden text itself, run against the oracle
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    np.testing.assert_allclose(namespace["conv"](x, w, b), conv_loop(x, w, b, 2, 1), atol=1e-12)
    namespace["SMALL_COLUMNS"] = -1                   # and its blocked path, which larger inputs take
    np.testing.assert_allclose(namespace["conv"](x, w, b), conv_loop(x, w, b, 2, 1), atol=1e-12)


# --------------------------------------------------------------------------- small-channel im2col in blocks


@pytest.mark.parametrize("seed", range(12))
def test_direct_im2col_in_small_blocks_equals_the_loop(seed, monkeypatch):
    """Tiny column blocks split the first output axis at every line; taps may see only padding."""
    import importlib

    from symconv.codegen import _runtime
    lowering = importlib.import_module("symconv.codegen.lower")

    rng = np.random.default_rng(seed)
    ndim = 1 + seed % 3
    k = tuple(int(v) for v in rng.integers(1, 4, ndim))
    s = tuple(int(v) for v in rng.integers(1, 4, ndim))
    d = tuple(int(v) for v in rng.integers(1, 3, ndim))
    pads = tuple((int(rng.integers(0, dj * (kj - 1) + 2)), int(rng.integers(0, 3))) for kj, dj in zip(k, d))
    size = tuple(max(1, dj * (kj - 1) + 1 - pb - pa) + int(rng.integers(0, 5)) for kj, dj, (pb, pa)
                 in zip(k, d, pads))
    x, w, b = rng.standard_normal((2, 2) + size), rng.standard_normal((3, 2) + k), rng.standard_normal(3)
    spec = ConvSpec(k, s, pads, d, 2, 3, input_size=size)
    lowering._lower.cache_clear()
    original = _runtime._im2col_gemm

    def tiny_blocks(*args, **kwargs):
        return original(*args, block_elements=1)

    namespace = lowering._helper_namespace()
    monkeypatch.setitem(namespace, "_im2col_gemm", tiny_blocks)
    try:
        kernel = lower(spec)
        assert "_im2col_gemm(" in kernel.source
        np.testing.assert_allclose(kernel(x, w, b), conv_loop(x, w, b, s, pads, d), atol=1e-12)
    finally:
        lowering._lower.cache_clear()


# --------------------------------------------------------------------------- every called helper is in the module


@pytest.mark.parametrize("spec", SPECS + [
    UpsampleSpec(scale_factor=2, mode="nearest", ndim=2),           # integer factor: repeats (_repeat_last)
    UpsampleSpec(scale_factor=1.5, mode="nearest-exact", ndim=1),
    UpsampleSpec(size=(5, 7), mode="bicubic", align_corners=True),
    ConvSpec(3, stride=2, in_channels=64, out_channels=64, ndim=1),  # shifted GEMMs over stride phases
], ids=lambda s: f"{type(s).__name__}-{getattr(s, 'mode', '')}")
def test_every_function_a_module_calls_is_defined_in_it(spec):
    """A standalone module must define every helper its code calls (in-process, all helpers are shared)."""
    import builtins

    tree = ast.parse(lower(spec).source)
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    local = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    local |= {a.arg for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.Lambda))
              for a in node.args.args + node.args.kwonlyargs}
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not {name for name in called if name not in defined | local and not hasattr(builtins, name)}
