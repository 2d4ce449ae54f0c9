"""One module per ``symconv`` sub-command.

Each module exposes ``NAME`` (the command word), ``HELP`` (one line), ``register(parser)``
(adds its arguments to its own sub-parser) and ``run(args) -> int`` (the exit code).
``symconv.cli.COMMAND_MODULES`` lists them in the order ``--help`` shows them.
"""
