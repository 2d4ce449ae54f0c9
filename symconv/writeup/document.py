r"""The whole write-up (the ``derivations/`` folder): every file generated in memory, then written or compared.

:func:`build` returns ``{relative path: bytes}`` for ``main.tex``, the section files, one file
per theorem and the figures (vector PDF for LaTeX, PNG for the README). :func:`write` writes
them (each through a temporary file and ``os.replace``, after *all* of them were generated, so
a failure leaves the folder as it was); :func:`stale` lists what differs from a folder on disk.

Examples
--------
>>> sorted(_figure_env("checkerboard").split("\n")[2:3])
['  \\includegraphics[width=0.9\\linewidth]{figures/checkerboard.pdf}']
>>> README_FIGURES[0]
'figures/seed_matrix.png'
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from .._io import HandEditedError, check_output_dir, check_writable, digest, read_manifest, write_files
from .intro import bibliography, introduction_section, notation_section
from .latex import render, text
from .restore import restore_section
from .seed import seed_section
from .sizes import sizes_section
from .theorems import theorem_graph, theorem_order, theorem_section, theorems_intro

__all__ = ["build", "write", "stale", "regenerate", "FIGURE_DIR", "README_FIGURES", "GENERATED_SUFFIXES",
           "RENDERED_PAGE"]

#: Where figures live inside ``derivations/``.
FIGURE_DIR = "figures"

#: The README's figures (1 and 3), relative to ``derivations/``.
README_FIGURES = ("figures/seed_matrix.png", "figures/unpool_vs_nearest.png")

#: A page of the compiled PDF rendered for the README (by the tests, with ``pdftoppm``; not by ``derive``).
RENDERED_PAGE = "figures/rendered-page.png"

#: File kinds ``symconv derive`` owns inside ``derivations/`` (others are left alone).
GENERATED_SUFFIXES = (".tex", ".pdf", ".png")

_CAPTIONS = {
    "seed_matrix": ("The worked example's $C$ ($4\\times 16$): each cell shows the weight $w_{a,b}$ that output "
                    "$r$ (row) applies to input $x_{a',b'}$ (column $4a'+b'$); colour = kernel tap. "
                    "$C^T$ ($16\\times 4$) beside it.", 1.0),
    "zero_insertion": ("A transposed convolution ($i'=3$, $k=3$, $s=2$, $p=0$) as a stride-1 convolution: "
                       "$s-1$ zeros inserted between the inputs, $d(k-1)-p$ zeros of padding (grey), and the "
                       "flipped kernel; the outlined window produces the marked output.", 1.0),
    "unpool_vs_nearest": ("Restoring resolution on the $4\\times 4$ example: max pooling's switches, the unpooled "
                          "map ($P^T$, zeros elsewhere) and nearest-neighbour upsampling (copies).", 1.0),
    "bilinear": ("Bilinear upsampling $2\\times 2\\to 4\\times 4$ as a $16\\times 4$ matrix $B$ "
                 "(\\texttt{align\\_corners=False}), FCN's $4\\times 4$ kernel, and the per-axis matrix.", 0.75),
    "checkerboard": ("Checkerboard overlap: how many (input, tap) pairs write each output of a transposed "
                     "convolution with all-ones input and kernel ($i'=5$); uneven for $k=3$, $s=2$, "
                     "uniform inside for $k=4$, $s=2$.", 0.9),
    "theorem_graph": ("The theorems' dependency graph (an arrow points from a lemma to a theorem that uses it), "
                      "from \\texttt{symconv.proofs.dependency\\_graph()}.", 1.0),
}


def _figure_env(stem: str) -> str:
    caption, width = _CAPTIONS[stem]
    return render("figure", {"path": f"{FIGURE_DIR}/{stem}.pdf", "width": str(width), "caption": caption,
                             "label": "fig:" + stem.replace("_", "-")})


def _figures() -> dict[str, bytes]:
    from . import figures               # matplotlib: imported only when figures are drawn
    out = {}
    for stem, (builder, formats) in figures.FIGURES.items():
        fig = builder()
        for fmt in formats:
            out[f"{FIGURE_DIR}/{stem}.{fmt}"] = figures.figure_bytes(fig, fmt)
    out[f"{FIGURE_DIR}/theorem_graph.pdf"] = figures.figure_bytes(figures.theorem_graph_figure(theorem_graph()),
                                                                  "pdf")
    return out


class _Background:
    """``function()`` computed in a forked child while the caller works (the figures are drawn while
    the theorems are proved); :meth:`result` returns its value. Without ``fork`` it runs in
    :meth:`result`, in this process. An exception in the child is raised again by :meth:`result`."""

    def __init__(self, function: Callable[[], Any]):
        import multiprocessing
        self.function, self.process = function, None
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self.receive, send = context.Pipe(duplex=False)
            self.process = context.Process(target=self._run, args=(send,), daemon=True)
            self.process.start()
            send.close()

    def _run(self, send: Any) -> None:
        import gc
        gc.freeze()                     # what the child inherited is never garbage here: collections skip it
        try:
            send.send(("ok", self.function()))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            send.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        finally:
            send.close()

    def result(self) -> Any:
        if self.process is None:
            return self.function()
        try:
            kind, value = self.receive.recv()
        except EOFError:
            raise RuntimeError(f"derive: the process drawing the figures died (exit code "
                               f"{self.process.exitcode})") from None
        finally:
            self.process.join()
            self.receive.close()
        if kind == "error":
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs (the caller failed before asking for the result)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


def build(figures: bool = True) -> dict[str, bytes]:
    """Every file of ``derivations/`` as bytes, keyed by path relative to the folder (sorted).

    Parameters
    ----------
    figures : bool
        Also draw the figures (the slow part; the ``.tex`` files do not depend on them).
    """
    from .. import proofs
    from ..proofs.engine import load_for_proving
    load_for_proving()                  # before the fork below: the theorem-graph figure reuses the loaded theorems
    drawn = _Background(_figures) if figures else None   # the figures do not read proof results
    try:
        proofs.prove_all()              # on every usable core; the sections read the remembered results
        out = _sections()
        if drawn is not None:
            out.update(drawn.result())
    except BaseException:
        if drawn is not None:
            drawn.cancel()
        raise
    return dict(sorted(out.items()))


def _sections() -> dict[str, bytes]:
    """``main.tex``, the section files and one file per theorem, as bytes."""
    files: dict[str, str] = {
        "sections/seed.tex": seed_section(_figure_env("seed_matrix") + "\n" + _figure_env("zero_insertion")),
        "sections/sizes.tex": sizes_section(),
        "sections/restore.tex": restore_section(_figure_env("unpool_vs_nearest"),
                                                _figure_env("bilinear") + "\n" + _figure_env("checkerboard")),
    }
    intro, _counts = theorems_intro(_figure_env("theorem_graph"))
    files["sections/theorems.tex"] = intro
    inputs = ["\\part{Worked examples}", "\\input{sections/seed}", "\\input{sections/sizes}",
              "\\input{sections/restore}", "\\part{Theorems}", "\\input{sections/theorems}"]
    for name in theorem_order():
        stem = "".join(ch if ch.isalnum() or ch == "_" else "-" for ch in name)
        files[f"theorems/{stem}.tex"] = theorem_section(name)
        inputs.append(f"\\input{{theorems/{stem}}}")
    files["main.tex"] = render("main", {"preamble": render("preamble", {}), "version": text(__version__),
                                        "introduction": introduction_section(theorem_order()),
                                        "notation": notation_section(), "inputs": "\n".join(inputs),
                                        "bibliography": bibliography()})
    return {path: value.encode("utf-8") for path, value in files.items()}


def _owned(root: Path) -> set[str]:
    """Files under ``root`` that ``symconv derive`` owns: ``.tex`` anywhere, ``.pdf``/``.png`` in figures/.

    A ``main.pdf`` compiled in place (and LaTeX's auxiliary files) and the README's rendered page
    (:data:`RENDERED_PAGE`) are left alone.
    """
    if not root.is_dir():
        return set()
    out = set()
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not p.name.startswith(".") and rel != RENDERED_PAGE and (
                p.suffix == ".tex" or (rel.startswith(FIGURE_DIR + "/") and p.suffix in GENERATED_SUFFIXES)):
            out.add(rel)
    return out


def stale(directory: str | os.PathLike, files: dict[str, bytes] | None = None) -> list[str]:
    """Paths that differ between ``directory`` and what the code generates now (missing, changed, extra).

    Examples
    --------
    >>> stale("/nonexistent-dir", {"main.tex": b"x"})
    ['main.tex']
    """
    root = Path(directory)
    files = build() if files is None else files
    out = [path for path, data in files.items()
           if not (root / path).is_file() or (root / path).read_bytes() != data]
    out += sorted(_owned(root) - set(files))
    return sorted(out)


def write(directory: str | os.PathLike, files: dict[str, bytes] | None = None, force: bool = False) -> list[str]:
    """Generate everything, then write the files that changed and remove stale generated ones.

    Returns the paths written or removed. Nothing is written unless generation succeeded, and
    nothing at all when any file to replace or remove was edited by hand (unless ``force``):
    writes go through :func:`symconv._io.write_files` (atomic, manifest-checked).
    """
    root = Path(directory)
    files = build() if files is None else files
    changed = stale(root, files)
    targets = {root / path: data for path, data in files.items()}   # unchanged ones only refresh the manifest
    removals = [root / path for path in changed if path not in files and (root / path).is_file()]
    for folder in {t.parent for t in targets}:
        folder.mkdir(parents=True, exist_ok=True)
    check_writable(targets, force)
    for target in removals:
        if not force and read_manifest(target.parent).get(target.name) != digest(target.read_bytes()):
            raise HandEditedError(f"{target} is not generated by the current code and was not written by "
                                  f"symconv (or was edited); use --force to remove it")
    write_files(targets, force=True)
    for target in removals:
        target.unlink()
    return changed


def regenerate(directory: str | os.PathLike, check: bool = False, force: bool = False) -> tuple[list[str], int]:
    """What ``symconv derive`` does to a folder: build everything, then compare (``check``) or write.

    Returns the paths that differ (``check``) or were written or removed, and the number of files
    the write-up has. With ``check`` nothing is written; otherwise the folder is first checked to
    be a writable folder (before the slow build), then :func:`write` runs.

    Raises
    ------
    symconv._io.OutputPathError
        ``directory`` cannot be a folder (written as ``--dir`` in the message).
    symconv._io.HandEditedError
        A file to replace or remove was edited by hand (and not ``force``).
    """
    if not check:
        check_output_dir(directory, "--dir")
    files = build()
    changed = stale(directory, files) if check else write(directory, files, force=force)
    return changed, len(files)
