"""Code generation: symconv specs lowered to standalone NumPy modules.

* :mod:`~symconv.codegen.lower` -- ``lower(spec)``: dispatch to a family's builder, the module
  text and a cached callable (the helpers compiled once);
* :mod:`~symconv.codegen.conv` -- convolution and transposed convolution (shifted GEMMs over
  stride phases, direct im2col);
* :mod:`~symconv.codegen.pooling` -- max pooling (switches), average pooling, max unpooling;
* :mod:`~symconv.codegen.resampling` -- interpolation (nearest, linear family, bicubic);
* :mod:`~symconv.codegen.common` -- what the families share: input-size symbols and checks,
  module docstrings, the stride-phase grid (from :mod:`symconv.index`);
* :mod:`~symconv.codegen.small` -- the small-problem paths (one array operation over a cached table);
* :mod:`~symconv.codegen.ir` -- statements, functions and modules, rendered to text;
* :mod:`~symconv.codegen.printer` -- a SymPy printer with integer ``//`` and no Dummy names;
* :mod:`~symconv.codegen._runtime` -- the helpers pasted verbatim into generated modules, by
  family, plus :data:`symconv.index.KERNEL_FUNCTIONS` (the relation's formulas evaluated at run time).

Examples
--------
>>> import numpy as np
>>> from symconv.spec import AvgPoolSpec
>>> kernel = lower(AvgPoolSpec(2, ndim=1))
>>> kernel(np.array([[[1., 3., 5., 7.]]]))
array([[[2., 6.]]])
>>> [line for line in kernel.source.splitlines() if line.startswith(("import", "from"))]
['import numpy as np']
"""
from .ir import Module, render
from .lower import Kernel, lower, module_source
from .printer import KernelPrinter, print_code

__all__ = ["Kernel", "KernelPrinter", "Module", "lower", "module_source", "print_code", "render"]
