"""``python -m sim``: the countysim command line."""

import sys

from sim.apps.cli import main

sys.exit(main())
