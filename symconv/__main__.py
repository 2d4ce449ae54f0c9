"""``python -m symconv`` runs the same command line as the ``symconv`` script."""
import sys

from .cli import main

sys.exit(main())
