"""``python -m csplade_pyserini`` = the ``csplade`` command."""
import sys

from .cli import main

sys.exit(main())
