"""``python -m rogue.cli``: the same as the ``rogue-bridge`` command."""

import sys

from . import main

sys.exit(main())
