#!/usr/bin/env python3
"""Build the course site into site/_build/html: `make site` (see sitebuild/build.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sitebuild.build import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
