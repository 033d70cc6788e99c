"""``python -m sim``: the countysim command line."""

import sys

from sim.cli import main

sys.exit(main())
