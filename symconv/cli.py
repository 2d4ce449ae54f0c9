"""The ``symconv`` command line: ``symconv COMMAND [options]`` (also ``python -m symconv``).

Each command lives in ``symconv.commands.<name>``; ``COMMAND_MODULES`` lists them.
Exit codes: 0 success, 1 a check failed, 2 a usage error (one-line message on stderr).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from . import __version__

#: Sub-command modules under ``symconv.commands``, in the order ``--help`` lists them.
COMMAND_MODULES = ("shape", "matrix", "analyze", "check-formula", "codegen", "derive", "prove")


class UsageError(Exception):
    """A bad argument found after parsing; reported as a one-line message with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message and exit code 2."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every registered sub-command."""
    parser = _Parser(prog="symconv", description="Convolution arithmetic as mathematics: shapes, matrices, "
                                                 "proofs, LaTeX derivations and NumPy kernels.")
    parser.add_argument("--version", action="version", version=f"symconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"symconv.commands.{name.replace('-', '_')}")
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.register(child)
        child.set_defaults(_run=module.run)
    return parser


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message; OS errors as 'reason: path'."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _stdout_closed() -> int:
    """The reader of standard output went away (``symconv ... | head``): stop quietly.

    The standard recipe (Python docs, "Note on SIGPIPE"): point stdout at devnull so the
    interpreter's final flush does not raise again, and exit with 1 as a broken pipe would.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no real file descriptor (e.g. captured in tests)
        pass
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (``SystemExit`` for argparse exits).

    A bad argument, file or value ends with one line on standard error and exit code 2;
    a closed standard output (``| head``) ends quietly.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args._run(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except (UsageError, ValueError, TypeError, OSError, RecursionError, MemoryError) as exc:
        print(f"symconv {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
