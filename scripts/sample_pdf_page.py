"""Render one page of a sample municipality PDF as docs/pdf-sample.png (for the README).

Uses the export benchmark's data (88 participants, 2 000 reflections) and poppler's pdftoppm.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export import make_session  # noqa: E402

from app.export import export_all  # noqa: E402


def main() -> None:
    """Export the sample session and render page 2 of one municipality PDF."""
    with tempfile.TemporaryDirectory() as tmp:
        db = make_session(Path(tmp), reflections=400)
        out = Path(tmp) / "out"
        export_all(db, out, sessions=[1])
        pdf = out / "traff1-Vanersborg.pdf"
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "80",
                "-png",
                "-f",
                "2",
                "-l",
                "2",
                "-singlefile",
                str(pdf),
                str(ROOT / "docs" / "pdf-sample"),
            ],
            check=True,
        )
    print(ROOT / "docs" / "pdf-sample.png")


if __name__ == "__main__":
    main()
