"""Entry script of the PyInstaller bundle (see build.spec).

``tankesmedja/__main__.py`` cannot be the bundle's script: run as ``__main__`` its imports would
not be those of the ``tankesmedja`` package. This file only hands over to
:func:`tankesmedja.__main__.main`, the same function as the ``tankesmedja`` console script.

The console exports in a spawned child process (:mod:`app.export.process`). A frozen app has no
Python to spawn: the child is this same executable, started with ``--multiprocessing-fork``
(and multiprocessing's resource tracker with ``-c ...``). :func:`multiprocessing.freeze_support`
recognises those arguments, runs the child's work and exits; it must come first, before
anything parses the command line or opens a window, or every export would start a second
console.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()

    from tankesmedja.__main__ import main

    sys.exit(main())
