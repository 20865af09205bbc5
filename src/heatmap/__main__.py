"""Entry point of ``python -m heatmap``."""

import sys

from heatmap.cli import main

sys.exit(main())
