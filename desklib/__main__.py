"""``python -m desklib`` is the ``desk`` command."""
import sys

from .cli import main

sys.exit(main())
