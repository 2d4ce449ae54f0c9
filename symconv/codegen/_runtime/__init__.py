"""Helper functions copied verbatim into generated kernel modules, by operator family.

Every function here imports only NumPy and reads no symconv state: :func:`symconv.codegen.lower`
pastes the source of the helpers a kernel needs (``inspect.getsource``) into the generated
module, so the module runs where only NumPy is installed. The spec-specific parts -- sizes,
slice bounds, tap tables -- are printed by the lowering from SymPy expressions; these helpers
only execute them.

* :mod:`.shared` -- output arrays, half precision, table caches, gather tables;
* :mod:`.conv` -- the flat phase buffer, shifted GEMMs and direct im2col of the convolutions;
* :mod:`.pooling` -- max pooling over stride phases, window sums, unpooling;
* :mod:`.resampling` -- interpolation maps and their separable application.

The formulas they evaluate at run time -- tap ranges, source coordinates, the cubic kernel --
are :data:`symconv.index.KERNEL_FUNCTIONS`, whose text the modules contain as well.

Examples
--------
>>> import numpy as np
>>> _output("f", None, (2, 3), np.float64).shape
(2, 3)
"""
import numpy as np

from ...index import (KERNEL_FUNCTIONS, cubic_far, cubic_near, polyphase, read_position,  # noqa: F401
                      source_coordinate, step_rule, tap_window)
from .conv import (_correlate, _fill, _gather_gemm, _gemm_chunk, _gemm_chunk_cf, _gemm_weights,  # noqa: F401
                   _im2col_gemm, _reach)
from .pooling import (_avg_pool, _gather_max, _last_nan, _max_pool, _max_pool_block, _pool_phases,  # noqa: F401
                      _unpool, _window_sums, _window_table)
from .resampling import _axis_map, _cubic, _periodic, _repeat_last, _resample, _resample_planes  # noqa: F401
from .shared import _gather_index, _in_float32, _outer, _output, _remember  # noqa: F401

#: Every helper a generated module may contain (compiled once into the shared namespace).
HELPERS = (_output, _in_float32, _remember, _gather_index, _outer, _gather_gemm, _fill, _reach, _gemm_weights,
           _gemm_chunk, _gemm_chunk_cf, _correlate, _im2col_gemm, _window_table, _gather_max, _last_nan, _pool_phases,
           _max_pool, _max_pool_block, _avg_pool, _window_sums, _unpool, _cubic, _axis_map, _periodic, _resample,
           _repeat_last, _resample_planes) + KERNEL_FUNCTIONS
