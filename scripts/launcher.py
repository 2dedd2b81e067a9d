"""Entry script of the PyInstaller bundle (see build.spec).

``app/__main__.py`` cannot be the bundle's script: run as ``__main__`` its imports would not be
those of the ``app`` package. This file only hands over to :func:`app.__main__.main`, the same
function as the ``tankesmedja`` console script.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from app.__main__ import main

    sys.exit(main())
