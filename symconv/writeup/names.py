r"""Short names of the theorems for titles, the contents and cross-references, and their literature.

The proof engine names a theorem by an identifier (``conv_matrix_entry``) and a one-line title
that is really an informal statement. A paper names it ("Theorem 14 (Convolution matrix)") and
states it in display math; this table gives that name. A theorem missing from the table (a new
one) gets a name made from its identifier, so the documents never break.

Examples
--------
>>> short_name("conv_matrix_entry")
'Convolution matrix'
>>> short_name("some_new_theorem")
'Some new theorem'
>>> citations("Dumoulin & Visin Rel. 14; PyTorch ConvTransposeNd")
['dumoulin2016', 'pytorch']
"""
from __future__ import annotations

__all__ = ["SHORT_NAMES", "short_name", "citations", "REFERENCE_KEYS"]

#: Identifier -> short name (plain text: it goes into bookmarks as it is).
SHORT_NAMES = {
    "conv_matrix_entry": "Convolution matrix",
    "entry_relation": "Entry relation",
    "library_sizes": "The library computes the sizes",
    "onnx_same_pads": "ONNX SAME padding",
    "onnx_valid_pads": "ONNX VALID padding",
    "onnx_pool_pads": "ONNX pool padding below the kernel",
    "onnx_resize_keep_aspect": "ONNX Resize keeps the aspect ratio",
    "onnx_conv_transpose_output_shape": "ONNX output shape of the transposed convolution",
    "maxpool_switches": "Max pooling selects by switches",
    "bilinear_size": "Size of the bilinear layer",
    "bilinear_weights_odd": "Bilinear weights, odd factor",
    "bilinear_weights_even": "Bilinear weights, even factor",
    "conv_output_size": "Convolution output size",
    "transpose_output_size": "Transposed output size",
    "transpose_is_scatter": "The scatter form is the transpose",
    "swap_transpose_gradient": "Gradient of a transposed convolution",
    "dilated_kernel": "Dilation as a zero-inserted kernel",
    "nd_kronecker": "N-dimensional matrices as Kronecker sums",
    "maxpool_gradient": "Gradient of max pooling",
    "pool_transpose_multiplicity": "Switch multiplicities",
    "bilinear_as_transpose": "Bilinear upsampling as a transposed convolution",
    "dv_rel_01": "Relationship 1: no padding, unit strides",
    "dv_rel_02": "Relationship 2: zero padding, unit strides",
    "dv_rel_03": "Relationship 3: half padding",
    "dv_rel_04": "Relationship 4: full padding",
    "dv_rel_05": "Relationship 5: no padding, strides",
    "dv_rel_06": "Relationship 6: padding and strides",
    "dv_rel_07": "Relationship 7: pooling",
    "dv_rel_08": "Relationship 8: transposed, no padding, unit strides",
    "dv_rel_09": "Relationship 9: transposed, zero padding, unit strides",
    "dv_rel_10": "Relationship 10: transposed, half padding",
    "dv_rel_11": "Relationship 11: transposed, full padding",
    "dv_rel_12": "Relationship 12: transposed, no padding, strides",
    "dv_rel_13": "Relationship 13: transposed, padding and strides",
    "dv_rel_14": "Relationship 14: transposed, general case",
    "dv_rel_15": "Relationship 15: dilated convolution",
    "size_ambiguity": "Size ambiguity",
    "pool_ceil_mode": "Pooling in ceil mode",
    "round_trip": "Round trip of sizes",
    "adjoint": "Adjointness",
    "swap_conv_gradient": "Gradient of a convolution",
    "zero_insertion": "Zero insertion",
    "channel_groups": "Channels and groups",
    "nearest_as_transpose": "Nearest upsampling as a transposed convolution",
    "checkerboard_periodic": "Periodic overlap",
    "unpool_vs_gradient": "Unpooling versus the pooling gradient",
    "output_padding_restores": "Output padding restores the size",
    "nearest_vs_unpool": "Nearest upsampling versus unpooling",
    "checkerboard_uniform": "Uniform overlap",
    "checkerboard_condition": "Checkerboard condition",
}

#: Words in an engine ``reference`` string -> bibliography key (``symconv/writeup/templates/bibliography.tex``).
REFERENCE_KEYS = (
    ("Dumoulin & Visin", "dumoulin2016"), ("D&V", "dumoulin2016"), ("Odena", "odena2016"),
    ("FCN", "long2015"), ("Caffe", "long2015"), ("Zeiler", "zeiler2014"), ("Noh", "noh2015"),
    ("PyTorch", "pytorch"), ("ONNX", "onnx"),
)


def short_name(name: str) -> str:
    """The theorem's short name: from :data:`SHORT_NAMES`, else its identifier made readable."""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    words = name.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else name


def citations(reference: str) -> list[str]:
    """Bibliography keys for an engine reference string, in order of first mention, without repeats."""
    found = []
    for word, key in REFERENCE_KEYS:
        at = reference.find(word)
        if at >= 0 and key not in [k for _a, k in found]:
            found.append((at, key))
    return [key for _at, key in sorted(found)]
