"""Code generation: symconv specs lowered to standalone NumPy modules.

* :mod:`~symconv.codegen.printer` -- a SymPy printer with integer ``//`` and no Dummy names;
* :mod:`~symconv.codegen.ir` -- statements, functions and modules, rendered to text;
* :mod:`~symconv.codegen.lower` -- ``lower(spec)``: the module text and a cached callable.

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
