r"""LaTeX: the committed derivations/ compile with a real pdflatex, are current, and say what SymPy says.

* ``derivations/main.tex`` (compiled once per session, twice only when LaTeX asks for a rerun) and
  specialised layer documents compile with ``pdflatex -interaction=nonstopmode -halt-on-error``;
  any ``! `` line, any ``Missing character`` (a glyph the font lacks), any undefined reference and
  any overfull hbox wider than 1 pt fails. Skipped (with the reason) only when no ``pdflatex`` is
  installed; pages 1--3 render to PNG with ``pdftoppm`` (skipped without it).
* No generator writes ASCII mathematics in text mode (``<``, ``>``, ``|``, ``^``, ``_`` outside
  math, after escapes and command arguments such as labels are removed) and no box is shrunk
  (``\resizebox``, ``\scalebox``).
* ``symconv derive --check`` (through the CLI's ``main``) passes on the committed folder and fails
  on a stale copy.
* Golden files under ``tests/golden/`` are regenerated only with ``SYMCONV_REGEN_GOLDEN=1``; each is
  also checked against an independent oracle (the core matrices), never only against itself.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from symconv._io import HandEditedError
import sympy as sp

from symconv import ConvSpec, ConvTransposeSpec, MaxPoolSpec, UpsampleSpec, conv_matrix
from symconv.cli import main
from symconv.writeup.document import build, stale, write
from symconv.writeup.layer import layer_fragment
from symconv.writeup.sizes import relationships, same_size
from symconv.writeup.latex import elide, render, repr_latex, spec_tex, tex, text
from symconv.writeup.linebreak import break_terms, display_lines, math_width

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = os.environ.get("SYMCONV_REGEN_GOLDEN") == "1"
PDFLATEX = shutil.which("pdflatex")
PDFTOPPM = shutil.which("pdftoppm")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (Debian: "
                                    "texlive-latex-base texlive-latex-recommended texlive-latex-extra "
                                    "lmodern); CI always has it")
needs_pdftoppm = pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm is not installed (Debian: poppler-utils)")

_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")
_RERUN = ("Rerun to get", "Label(s) may have changed", "There were undefined references")
#: The README's page of the PDF (regenerated with SYMCONV_REGEN_GOLDEN=1).
README_PAGE = 17


def latex_problems(log: str, limit_pt: float = 1.0) -> list[str]:
    """Lines of a pdflatex log that fail the build: errors (``! ``), glyphs missing from the font,
    undefined references and overfull boxes wider than the limit."""
    problems = []
    for line in log.splitlines():
        if line.startswith("! ") or line.startswith("Missing character") or \
                re.search(r"LaTeX Warning: (Reference|Citation) .* undefined", line):
            problems.append(line)
        match = _OVERFULL.match(line)
        if match and float(match.group(1)) > limit_pt:
            problems.append(line)
    return problems


def compile_tex(folder: Path, name: str, runs: int = 2) -> str:
    """Run pdflatex in ``folder`` (again, up to ``runs`` times, only while LaTeX asks for a rerun); return the log."""
    for _ in range(runs):
        proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                              capture_output=True, timeout=180, check=False)
        log_path = folder / (Path(name).stem + ".log")
        log = log_path.read_text(encoding="latin-1") if log_path.exists() else proc.stdout.decode("latin-1")
        if proc.returncode != 0 or not any(marker in log for marker in _RERUN):
            break
    if proc.returncode != 0 and not latex_problems(log):
        return log + "\n! pdflatex exited with status " + str(proc.returncode)
    return log


_MATH_ENVS = ("equation", "align", "gather", "multline", "displaymath")
#: Commands whose arguments are names, paths or specifications, not text (labels hold ``_`` and ``>``).
_ARGUMENT_COMMANDS = {"label", "ref", "cref", "Cref", "eqref", "cite", "input", "includegraphics", "hyperref",
                      "url", "begin", "end", "bibitem", "numberline"}


def _skip_arguments(src: str, j: int) -> int:
    """Index after the bracketed and braced arguments starting at ``j``."""
    while j < len(src) and src[j] in " [{":
        if src[j] == " ":
            j += 1
            continue
        opener, closer, depth = src[j], "]" if src[j] == "[" else "}", 0
        while j < len(src):
            if src[j] == "\\":
                j += 2
                continue
            depth += (src[j] == opener) - (src[j] == closer)
            j += 1
            if depth == 0:
                break
    return j


def text_mode_ascii_math(source: str) -> list[str]:
    """Places where ``<``, ``>``, ``|``, ``^`` or ``_`` would be typeset in text mode (with some context)."""
    src = re.sub(r"(?<!\\)%.*", "", source)
    src = src.split("\\begin{document}", 1)[-1]
    for env in _MATH_ENVS:
        src = re.sub(r"\\begin\{" + env + r"\*?\}.*?\\end\{" + env + r"\*?\}", " ", src, flags=re.S)
    src = re.sub(r"\\\[.*?\\\]|\\\(.*?\\\)|(?<!\\)\$.*?(?<!\\)\$", " ", src, flags=re.S)
    out, j = [], 0
    while j < len(src):
        if src[j] == "\\":
            command = re.match(r"\\([A-Za-z]+|.)", src[j:])
            j += len(command.group())
            if command.group(1) in _ARGUMENT_COMMANDS:
                j = _skip_arguments(src, j)
            continue
        out.append(src[j])
        j += 1
    text_only = "".join(out)
    return [text_only[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
            for m in re.finditer(r"[<>|^_]", text_only)]


@pytest.fixture(scope="module")
def generated() -> dict:
    """What ``symconv derive`` generates now (built once for the module)."""
    return build()


def test_latex_problems_parser():
    log = ("Overfull \\hbox (0.5pt too wide) in paragraph\nOverfull \\hbox (1.2pt too wide) detected\n! Undefined\n"
           "Missing character: There is no < in font cmr10!\n"
           "LaTeX Warning: Reference `thm:x' on page 3 undefined on input line 7.")
    assert latex_problems(log) == ["Overfull \\hbox (1.2pt too wide) detected", "! Undefined",
                                   "Missing character: There is no < in font cmr10!",
                                   "LaTeX Warning: Reference `thm:x' on page 3 undefined on input line 7."]


def test_text_mode_scanner_finds_ascii_math_only_outside_math():
    source = ("\\begin{document} ok $a<b$ \\[x_1\\] \\begin{gather*}a^b\\end{gather*} \\label{eq:a_b} x\\_y "
              "\\begin{longtable}{@{}r>{\\raggedright}l@{}} C^T and p_b < 1 \\end{document}")
    found = text_mode_ascii_math(source)
    assert not any(math in hit for hit in found for math in ("a<b", "x_1", "a^b", "eq:a_b"))   # math mode is skipped
    assert len(found) == 3 and "C^T" in found[0] and "p_b" in found[1]


def test_generators_write_no_ascii_math_in_text_mode_and_shrink_nothing(generated):
    sources = {path: data.decode() for path, data in generated.items() if path.endswith(".tex")}
    sources["layer.tex"] = main_layer_document = _layer_sources()[0]
    sources["fragment.tex"] = _layer_sources()[1]
    for path, source in sources.items():
        assert text_mode_ascii_math(source) == [], path
        assert "\\resizebox" not in source and "\\scalebox" not in source, path
    assert "\\begin{document}" in main_layer_document


def _layer_sources() -> tuple[str, str]:
    from symconv.writeup.layer import layer_document
    return (layer_document(3, 2, (0, 1), i=4, output_padding=1, dims=2),
            layer_fragment(4, 2, 1, i=3))


def test_theorems_are_named_numbered_and_stated_in_display_math(generated):
    from symconv.proofs import theorem, theorems
    from symconv.writeup.names import short_name
    for name in theorems():
        source = generated[f"theorems/{name}.tex"].decode()
        env = "lemma" if theorem(name).kind == "lemma" else "theorem"
        assert source.startswith(f"\\begin{{{env}}}[{text(short_name(name))}]"), name
        assert "\\begin{gather*}" in source and "\\addcontentsline{toc}" in source, name
    main_tex = generated["main.tex"].decode()
    for key in ("dumoulin2016", "zeiler2014", "zeiler2011", "long2015", "odena2016", "noh2015", "pytorch", "onnx"):
        assert f"\\bibitem{{{key}}}" in main_tex
        assert any(re.search(r"\\cite(\[[^]]*\])?\{[^}]*" + key, data.decode()) for path, data in generated.items()
                   if path.endswith(".tex")), key


# --------------------------------------------------------------------------- the committed folder


def test_derive_check_passes_on_committed_folder(capsys):
    assert main(["derive", "--check", "--dir", str(DERIVATIONS)]) == 0, capsys.readouterr().out


def test_stale_copy_is_detected_and_rewritten(tmp_path, generated):
    copy = tmp_path / "derivations"
    assert len(write(copy, generated)) == len(generated)          # a fresh folder gets every file
    assert stale(copy, generated) == []
    (copy / "sections" / "seed.tex").write_text("% edited by hand\n")
    (copy / "figures" / "extra.pdf").write_bytes(b"%PDF-stale")
    (copy / "notes.txt").write_text("not generated; left alone")
    (copy / "main.pdf").write_bytes(b"%PDF- compiled in place; left alone")
    assert stale(copy, generated) == ["figures/extra.pdf", "sections/seed.tex"]
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    with pytest.raises(HandEditedError, match="seed.tex was changed since symconv wrote it"):
        write(copy, generated)                                     # refuses, and writes nothing at all
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
    assert sorted(write(copy, generated, force=True)) == ["figures/extra.pdf", "sections/seed.tex"]
    assert stale(copy, generated) == []
    assert (copy / "notes.txt").exists() and (copy / "main.pdf").exists()
    assert not list(copy.rglob("*.tmp"))


def test_generation_is_deterministic(generated):
    assert build(figures=False) == {k: v for k, v in generated.items() if k.endswith(".tex")}


def test_main_has_one_section_per_theorem_in_dependency_order(generated):
    from symconv.proofs import dependency_graph
    graph = dependency_graph()
    main_tex = generated["main.tex"].decode()
    order = re.findall(r"\\input\{theorems/([^}]+)\}", main_tex)
    assert sorted(order) == sorted(graph.nodes)
    position = {name: n for n, name in enumerate(order)}
    assert all(position[u] < position[v] for u, v in graph.edges)
    assert "figures/theorem_graph.pdf" in generated["sections/theorems.tex"].decode()


def test_seed_section_shows_the_full_matrix(generated):
    seed = generated["sections/seed.tex"].decode()
    assert tex(sp.Matrix(conv_matrix((4, 4), 3))) in seed           # the 4x16 C in full
    assert tex(sp.Matrix(conv_matrix((4, 4), 3)).T) in seed         # the 16x4 C^T


def test_sizes_table_covers_all_fifteen_relationships(generated):
    sizes = generated["sections/sizes.tex"].decode()
    assert [r.number for r in relationships()] == list(range(1, 16))
    for n in range(1, 16):
        assert f"\\label{{eq:rel-{n}}}" in sizes
    assert all(r.reduces() for r in relationships())


def test_same_size_refutes_a_wrong_reduction():
    from symconv.symbols import i, k, p, s
    assert not same_size(sp.floor((i + 2 * p - k) / s) + 1, sp.floor((i + p - k) / s) + 1)


@pytest.fixture(scope="module")
def compiled_main(tmp_path_factory) -> tuple[Path, str]:
    """The committed derivations/main.tex compiled once for the module: (folder, log)."""
    if PDFLATEX is None:
        pytest.skip("pdflatex is not installed")
    folder = tmp_path_factory.mktemp("compiled") / "derivations"
    shutil.copytree(DERIVATIONS, folder)
    return folder, compile_tex(folder, "main.tex")


@needs_pdflatex
def test_main_tex_compiles_with_complete_fonts_and_no_overfull_box(compiled_main):
    folder, log = compiled_main
    assert latex_problems(log) == []
    assert "T1/lmr" in log                                    # Latin Modern in T1 encoding, not OT1
    assert (folder / "main.pdf").stat().st_size > 10_000


@needs_pdflatex
@needs_pdftoppm
def test_pages_render_to_png(compiled_main, tmp_path):
    folder, _log = compiled_main
    subprocess.run([PDFTOPPM, "-r", "60", "-f", "1", "-l", "3", "-png", str(folder / "main.pdf"), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert [p.name for p in pages] == ["page-01.png", "page-02.png", "page-03.png"] or \
        [p.name for p in pages] == ["page-1.png", "page-2.png", "page-3.png"]
    for page in pages:
        data = page.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5_000      # a page with content, not blank
    if REGENERATE:
        from symconv.writeup.document import RENDERED_PAGE
        subprocess.run([PDFTOPPM, "-r", "60", "-f", str(README_PAGE), "-l", str(README_PAGE), "-png", "-singlefile",
                        str(folder / "main.pdf"), str(DERIVATIONS / Path(RENDERED_PAGE).with_suffix(""))],
                       check=True, capture_output=True, timeout=120)


def test_readme_shows_a_rendered_page():
    from symconv.writeup.document import RENDERED_PAGE
    page = DERIVATIONS / RENDERED_PAGE
    assert page.read_bytes().startswith(b"\x89PNG")
    assert f"derivations/{RENDERED_PAGE}" in (ROOT / "README.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- a specialised layer


@needs_pdflatex
def test_layer_document_and_fragment_compile(tmp_path, capsys):
    out = tmp_path / "layer.tex"
    assert main(["derive", "conv-transpose", "--k", "4", "--s", "2", "--p", "1", "--i", "3",
                 "--out", str(out)]) == 0
    frag = tmp_path / "fragment.tex"
    assert main(["derive", "conv-transpose", "--k", "3", "--s", "2", "--p", "0,1", "--i", "4", "--a", "1",
                 "--dims", "2", "--fragment", "--out", str(frag)]) == 0
    host = tmp_path / "host.tex"
    host.write_text(render("layer", {"preamble": render("preamble", {}), "body": "\\input{fragment}",
                                     "bibliography": ""}))
    for name in ("layer.tex", "host.tex"):
        assert latex_problems(compile_tex(tmp_path, name)) == [], name
    capsys.readouterr()


def test_layer_golden_matches_and_agrees_with_the_oracle():
    body = layer_fragment(4, 2, 1, i=3)
    golden = GOLDEN / "layer_k4_s2_p1_i3.tex"
    if REGENERATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(body, encoding="utf-8")
    assert body == golden.read_text(encoding="utf-8")
    # not its own proof: the matrix printed is the transpose of the forward conv's matrix (oracle)
    forward = sp.Matrix(conv_matrix(6, 4, stride=2, padding=1))
    assert tex(forward.T) in body
    assert "\\begin{document}" not in body


def test_seed_golden_matches_and_agrees_with_the_oracle():
    c = sp.Matrix(conv_matrix((4, 4), 3))
    printed = tex(c)
    golden = GOLDEN / "seed_C.tex"
    if REGENERATE:
        golden.write_text(printed + "\n", encoding="utf-8")
    assert printed + "\n" == golden.read_text(encoding="utf-8")
    # oracle: direct cross-correlation of a 4x4 input with a 3x3 kernel, by loops
    rng = np.random.default_rng(0)
    x, w = rng.integers(-5, 6, (4, 4)), rng.integers(-5, 6, (3, 3))
    direct = [sum(w[a, b] * x[r + a, c + b] for a in range(3) for b in range(3)) for r in range(2) for c in range(2)]
    numeric = c.subs({sp.Symbol(f"w_{{{a},{b}}}"): int(w[a, b]) for a in range(3) for b in range(3)})
    assert list(numeric * sp.Matrix(x.reshape(-1).tolist())) == direct


def test_layer_cli_errors(capsys):
    assert main(["derive", "conv-transpose", "--s", "2"]) == 2
    assert "--k" in capsys.readouterr().err
    assert main(["derive", "conv-transpose", "--k", "3", "--out", "layer.txt"]) == 2
    assert main(["derive", "conv-transpose", "--k", "3", "--i", "400", "--dims", "2"]) == 2
    assert "smaller i" in capsys.readouterr().err
    assert main(["derive", "--out", "x.tex"]) == 2
    with pytest.raises(SystemExit):
        main(["derive", "conv-transpose", "--k", "3*3"])


def test_layer_writes_atomically(tmp_path):
    out = tmp_path / "layer.tex"
    out.write_text("old")
    assert main(["derive", "conv-transpose", "--k", "3", "--i", "500", "--dims", "2", "--out", str(out)]) == 2
    assert out.read_text() == "old"                          # a failed derivation leaves the file alone
    assert main(["derive", "conv-transpose", "--k", "3", "--out", str(out)]) == 2   # not symconv's file
    assert out.read_text() == "old"
    assert main(["derive", "conv-transpose", "--k", "3", "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("% Generated")
    assert main(["derive", "conv-transpose", "--k", "3", "--s", "2", "--out", str(out)]) == 0  # symconv's now
    assert sorted(p.name for p in tmp_path.iterdir()) == [".symconv-manifest.json", "layer.tex"]


# --------------------------------------------------------------------------- printing helpers


def test_repr_latex_of_specs():
    for spec in (ConvSpec(3, stride=2, padding=1, input_size=(5, 5)), ConvTransposeSpec(4, 2, 1, input_size=3),
                 MaxPoolSpec(2, input_size=(4, 4)), UpsampleSpec(scale_factor=2, mode="bilinear", input_size=(2, 2))):
        out = spec._repr_latex_()
        assert out.startswith("$\\displaystyle \\text{") and out.endswith("$")
        assert spec_tex(spec) in out
    assert "o = 3" in repr_latex(ConvSpec(3, stride=2, padding=1, input_size=5))


def test_elide_never_exceeds_its_limits():
    big = sp.Matrix(40, 30, lambda r, c: r * 30 + c)
    small = elide(big, 9, 7)
    assert small.shape == (9, 7)
    assert small[0, 0] == 0 and small[-1, -1] == big[-1, -1] and small[4, 3] == sp.Symbol(r"\ddots")


def test_text_escapes_and_tex_refuses_strings():
    assert text("a_b & 50%") == "a\\_b \\& 50\\%"
    with pytest.raises(TypeError, match="obj must be a SymPy object"):
        tex("x + 1")


def test_break_terms_only_cuts_at_top_level():
    from symconv.symbols import i, k, s
    pieces = break_terms(tex(sp.floor((i + k) / s) + i + k + s), 20)
    assert "".join(pieces).replace(" ", "") == tex(sp.floor((i + k) / s) + i + k + s).replace(" ", "")
    assert all(p.count("{") == p.count("}") for p in pieces)


def test_long_relations_break_at_operators_into_balanced_lines():
    from symconv.symbols import a, d, i, k, p_a, p_b, s
    rhs = sum((sym * (i + n) for n, sym in enumerate((a, d, k, p_a, p_b, s), 1)), sp.Integer(0))
    printed = display_lines(tex(sp.Symbol("o")), "=", tex(rhs), max_width=26)
    lines = printed.split("\\\\")
    assert printed.startswith("\\begin{aligned}") and len(lines) >= 3
    widths = [math_width(line.replace("&", "").replace("\\quad", "")) for line in lines]
    assert max(widths) <= 26 + 4                                # the aligned prefix aside, within the budget
    assert min(widths[1:-1] or widths) > 10                     # no near-empty line (no "+1" alone)
    pieces = [line.strip().removesuffix("\\\\").split("&", 1)[-1].replace("\\quad", "")
              for line in printed.splitlines()[1:-1]]
    joined = "".join(pieces).replace(" ", "")
    assert joined.removeprefix("=") == \
        tex(rhs).replace(" ", "")


def test_theorem_section_reads_whatever_the_engine_provides(monkeypatch):
    """A theorem with SMT information, ranges, a counterexample and an engine title full of ASCII math."""
    from types import SimpleNamespace
    from symconv.writeup import theorems as T
    from symconv.symbols import d, k, p_b, s
    step = SimpleNamespace(before=s * (k - 1), after=s * k - s, rel="=", rule="algebra", why="0 <= p_b <= d(k-1)",
                           relation=lambda: sp.Eq(s * (k - 1), s * k - s))
    thm = SimpleNamespace(name="fake_rule", title="Fake: o' = s(i'-1) + k when a < s, |Delta| >= 2",
                          statement=sp.Eq(s * (k - 1), s * k - s, evaluate=False),
                          assumptions=(SimpleNamespace(symbol=p_b, lo=0, hi=d * (k - 1)),
                                       SimpleNamespace(symbol=s, lo=1, hi=None)),
                          equalities=((d, 1),), uses=(), kind="theorem", reason="",
                          reference="Odena, Dumoulin & Olah", grid=SimpleNamespace(description="1-D: i<=12, s | k"))
    result = SimpleNamespace(status="failed", steps=(SimpleNamespace(step=step, ok=True, reason=None),),
                             grid_count=7, counterexample={"config": {"p_b": 1, "i": [2, 3]}, "lhs": 4, "rhs": 5},
                             reason="grid counterexample after 7 configurations",
                             smt=SimpleNamespace(status="bounded", detail="k <= 8"), grid_note="the floor rests on the grid")
    monkeypatch.setattr(T, "_proofs", lambda: SimpleNamespace(theorem=lambda n: thm, prove=lambda n: result))
    section = T.theorem_section("fake_rule")
    assert section.startswith("\\begin{theorem}[Fake rule]")
    assert "$0 \\le p_{b} \\le d \\left(k - 1\\right)$" in section and "$1 \\le s$" in section and "$d = 1$" in section
    assert "SMT (Z3): \\status{bounded}" in section and "$k \\le 8$" in section
    assert "\\cite{odena2016}" in section
    assert "$p_{b} = 1, i = \\left(2, 3\\right)$" in section or "$i = \\left(2, 3\\right), p_b = 1$" in section
    assert text_mode_ascii_math("\\begin{document}" + section) == []
    assert T.smt_of(SimpleNamespace(smt="certified")) == ("certified", "")
    assert T.smt_of(SimpleNamespace()) is None


def test_a_library_call_prints_as_code_even_through_an_equal_plain_function_class():
    # undefined functions compare equal by name: after SymPy's cache forgets the class that carries the
    # code layout, an application may come back as a plain Function("window_count_axis") instance
    from symconv.proofs.sizes import WINDOW_COUNT
    from symconv.symbols import i, k
    from symconv.writeup.latex import tex
    sp.core.cache.clear_cache()
    plain = sp.Function("window_count_axis")(i, k)
    again = WINDOW_COUNT(i, k)
    assert not hasattr(type(plain), "_latex")
    assert tex(plain) == tex(again) == r"\mathtt{window\_count\_axis}\left(i, k\right)"
    assert tex(sp.Function("not_a_library_call")(i)) != r"\mathtt{not\_a\_library\_call}\left(i\right)"
