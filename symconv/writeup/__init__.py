r"""The write-up: symconv's results as a LaTeX document (the ``derivations/`` folder) and figures.

``symconv derive`` (:mod:`symconv.commands.derive`, the thin command line) calls this package;
nothing else in symconv imports it except :meth:`symconv.spec.ConvSpec._repr_latex_`, which uses
:mod:`.latex`. What lives here, from the bottom up:

* :mod:`.latex` -- the LaTeX printer (``sympy.latex`` with house settings), text escaping, matrix
  eliding, and :func:`~.latex.render`, which fills the ``templates/*.tex`` files (the layout);
  :mod:`.linebreak` -- widths of printed formulas and breaks between their terms;
* :mod:`.examples` -- the worked examples' specs and symbolic grids (the seed, the 4x4 image);
* :mod:`.equivalent` -- the zero-insertion form of a transposed conv as two matrices (reads
  :func:`symconv.transforms.as_direct_conv`);
* sections, one module each: :mod:`.seed` (the worked example), :mod:`.sizes` (Dumoulin & Visin's
  fifteen relationships, displayed from the proofs' statements), :mod:`.restore` (unpooling,
  upsampling, checkerboard), :mod:`.intro` (introduction, notation, bibliography), :mod:`.theorems`
  (one section per theorem of :mod:`symconv.proofs`, with :mod:`.names` for short names and
  citations and :mod:`.prose` for the titles' text);
* :mod:`.layer` -- a derivation specialised to one transposed-conv layer
  (``symconv derive conv-transpose``);
* :mod:`.figures` -- the figures, drawn with matplotlib from the sections' matrices (deterministic bytes);
* :mod:`.document` -- the whole folder: :func:`~.document.build` every file in memory,
  :func:`~.document.stale` / :func:`~.document.write` compare with or update a folder on disk.

Imports go one way (linebreak -> latex, examples -> sections -> figures -> document); a test checks that the
package's import graph has no cycle.

Examples
--------
>>> from symconv.writeup.latex import tex
>>> from symconv.symbols import i, k
>>> tex(i - k + 1)
'i - k + 1'
"""
