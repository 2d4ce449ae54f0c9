"""Operator names: one spelling in the API, the CLI, stack and network files and ``check_formula``.

An operator's name is its spec's ``op`` and its NumPy function's name: ``conv``,
``conv_transpose``, ``max_pool``, ``avg_pool``, ``max_unpool`` and ``upsample``. Every place that
reads an operator name written by a user (``symconv shape OP``, ``check_formula(text, op)``, the
``"op"`` of a layer in a stack or network file) passes it through :func:`operator_name`, which
also accepts the other spellings: any case, hyphens or no separator (``max-pool``, ``MaxPool``,
``maxpool``) and the aliases in :data:`ALIASES` (``transposed``, ``pool``, ...). ``deconv`` is refused:
a transposed convolution is not the inverse of a convolution.

Examples
--------
>>> operator_name("max-pool"), operator_name("ConvTranspose"), operator_name("transposed")
('max_pool', 'conv_transpose', 'conv_transpose')
>>> operator_name("softmax")
Traceback (most recent call last):
...
ValueError: op must be one of conv, conv_transpose, max_pool, avg_pool, max_unpool, upsample (or another spelling: max-pool, maxpool, transposed, ...), got op='softmax'
"""
from __future__ import annotations

__all__ = ["OPERATORS", "ALIASES", "operator_name", "canonical"]

#: The operators, spelled as everywhere in symconv (spec ``op``, NumPy function, CLI word).
OPERATORS = ("conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "upsample")

#: Other names for them, written without separators (the lookup ignores case, ``-`` and ``_``):
#: ONNX's operator types and the names used in papers and posts.
ALIASES = {
    "convtranspose": "conv_transpose", "transposed": "conv_transpose", "transposedconv": "conv_transpose",
    "maxpool": "max_pool", "pool": "max_pool",
    "avgpool": "avg_pool", "averagepool": "avg_pool",
    "maxunpool": "max_unpool", "unpool": "max_unpool",
}

_LOOKUP = {**{name.replace("_", ""): name for name in OPERATORS}, **ALIASES}


def _key(text: str) -> str:
    """The spelling-free form of a name: lower case, no ``-``, ``_`` or spaces."""
    return text.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


def operator_name(text: str, owner: str = "op", allowed: tuple[str, ...] = OPERATORS) -> str:
    """The canonical name of the operator ``text`` names (any spelling or alias).

    Parameters
    ----------
    text : str
        An operator name as a user wrote it.
    owner : str
        The parameter the name came from, for the error message.
    allowed : tuple of str
        The canonical names this caller accepts (default: every operator).

    Raises
    ------
    TypeError
        ``text`` is not a string.
    ValueError
        ``text`` names no operator, or one the caller does not accept.

    Examples
    --------
    >>> operator_name("Max_Unpool"), operator_name("avg-pool")
    ('max_unpool', 'avg_pool')
    >>> operator_name("upsample", allowed=("conv", "conv_transpose"))
    Traceback (most recent call last):
    ...
    ValueError: op must be one of conv, conv_transpose, got op='upsample'
    """
    if not isinstance(text, str):
        raise TypeError(f"{owner} must be an operator name (a string), got {owner}={text!r}")
    name = _LOOKUP.get(_key(text))
    if name is None or name not in allowed:
        also = " (or another spelling: max-pool, maxpool, transposed, ...)" if name is None else ""
        raise ValueError(f"{owner} must be one of {', '.join(allowed)}{also}, got {owner}={text!r}")
    return name


def canonical(text: object) -> object:
    """``text``'s canonical operator name, or ``text`` unchanged when it names no operator.

    For readers that accept other names besides the operators (a network file's ``concat``) or
    that report an unknown name themselves.

    Examples
    --------
    >>> canonical("max-pool"), canonical("concat"), canonical(None)
    ('max_pool', 'concat', None)
    """
    if not isinstance(text, str):
        return text
    return _LOOKUP.get(_key(text), text)
