"""Exports after the day: per municipality a PDF, a Word document and an HTML page, and more.

Beside those: an overview PDF, and the raw data as CSV, Excel and JSON with a codebook.

:func:`export_all` is what both the console's export dialog (in a child process, see
:mod:`app.export.process`) and ``tankesmedja export`` call. It reads its own snapshot, reports
progress after every file and writes each file atomically, so an interrupted export leaves no
half-written file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from app import i18n
from app.atomic import remove_temporaries
from app.export.data import load
from app.export.pdf import write_municipality_pdf, write_overview_pdf
from app.export.raw import write_raw
from app.i18n import tr

Progress = Callable[[int, int, str], None]


class ExportCancelled(Exception):
    """The user cancelled the export; files already written are complete."""


def safe_file_name(name: str) -> str:
    """Return ``name`` as a portable file name (ASCII letters, digits, dashes)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-")
    return slug or "organisation"


def export_all(
    db_path: Path,
    out_dir: Path,
    *,
    sessions: list[int] | None = None,
    names: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    started: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write every export file for the chosen sessions (None: the whole series).

    Args:
        db_path: The workshop database.
        out_dir: Folder to write into (created if missing).
        sessions: Session numbers to include; None for the whole series.
        names: Include participants' names (otherwise pseudonymised / left out).
        progress: Called with (done, total, file name) after each file.
        cancelled: Polled between files; returning True stops the export.
        started: Called with the total that ``progress`` will count to, once the snapshot is
            read and before the first file is written (so a caller can show "0 of N" early).

    Returns:
        The files written.

    Raises:
        ExportCancelled: if ``cancelled`` said so.
        OSError: if the folder cannot be written (e.g. the disk is full).
    """
    # Imported here, not at the top: python-docx and openpyxl take a few tenths of a second
    # to import, and the console imports this package at start for its export dialog.
    from app.export.outline import municipality_outline, overview_outline
    from app.export.rooms import write_group_files
    from app.export.web import write_html
    from app.export.word import write_docx

    snapshot = load(db_path, sessions)
    out_dir.mkdir(parents=True, exist_ok=True)
    organisations = snapshot.taking_part()
    # + overview + raw data (+ the groups for the day: they name people, so only with names)
    total = len(organisations) + 2 + (1 if names else 0)
    if started is not None:
        started(total)
    written: list[Path] = []
    done = 0

    def step(path: Path) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, path.name)
        if cancelled is not None and cancelled():
            raise ExportCancelled

    prefix = file_prefix(sessions)
    for org in organisations:
        stem = f"{prefix}-{safe_file_name(org.name)}"
        path = out_dir / f"{stem}.pdf"
        written.append(write_municipality_pdf(snapshot, org, path, names))
        # The same summary, editable (Word) and accessible (HTML): see app.export.outline.
        outline = municipality_outline(snapshot, org, names, i18n.language())
        written.append(write_docx(outline, out_dir / f"{stem}.docx"))
        written.append(write_html(outline, out_dir / f"{stem}.html"))
        step(path)
    overview = out_dir / f"{prefix}-{tr('file_overview')}.pdf"
    written.append(write_overview_pdf(snapshot, overview, names))
    outline = overview_outline(snapshot, names, i18n.language())
    written.append(write_docx(outline, overview.with_suffix(".docx")))
    written.append(write_html(outline, overview.with_suffix(".html")))
    step(overview)
    raw_dir = out_dir / _raw_folder_name(prefix)
    raw_dir.mkdir(exist_ok=True)
    raw = write_raw(snapshot, raw_dir, names)
    written.extend(raw)
    step(raw_dir)
    if names:
        groups_dir = out_dir / _groups_folder_name(prefix)
        groups_dir.mkdir(exist_ok=True)
        written.extend(write_group_files(snapshot, groups_dir))
        step(groups_dir)
    return written


def file_prefix(sessions: list[int] | None) -> str:
    """Return what every file name of an export of ``sessions`` starts with.

    In the export's language and plain ASCII ("traff1", "session1", "serie", "series"), so
    the names survive any file system and mail attachment.
    """
    if sessions and len(sessions) == 1:
        return tr("file_session", number=sessions[0])
    return tr("file_series")


def remove_leftovers(out_dir: Path, sessions: list[int] | None) -> list[Path]:
    """Remove the temporaries of an export that was killed mid-file; return what was removed.

    Only the export's own names are looked at (the folder may be shared with other files),
    and only call this once the process that wrote them is dead.
    """
    prefix = file_prefix(sessions)
    removed = remove_temporaries(out_dir, f"{prefix}-")
    raw_dir = out_dir / _raw_folder_name(prefix)
    removed += remove_temporaries(raw_dir) + remove_temporaries(raw_dir / "excel")
    return removed + remove_temporaries(out_dir / _groups_folder_name(prefix))


def _raw_folder_name(prefix: str) -> str:
    return f"{prefix}-data"


def _groups_folder_name(prefix: str) -> str:
    return f"{prefix}-{tr('file_groups')}"
