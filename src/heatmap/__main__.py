"""Entry point of ``python -m heatmap``."""

import sys

from heatmap.cli import main

if __name__ == "__main__":  # not when a worker process re-imports it (Dask, multiprocessing spawn)
    sys.exit(main())
