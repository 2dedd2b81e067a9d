"""``tankesmedja export``: every export file of a session or the whole series, headless.

What it writes is listed in the README ("After the day") and :func:`app.export.export_all`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import i18n
from app.export import export_all
from app.i18n import tr
from app.store import DB_NAME, StoreError


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``tankesmedja export``."""
    parser = argparse.ArgumentParser(
        prog="tankesmedja export",
        description=(
            "Write per municipality a PDF, a Word document and an HTML page; an overview PDF;"
            " the raw data as Excel, CSV (for Excel and for tools) and JSON with a codebook;"
            " with --names also the groups for Zoom/Teams and a table plan."
        ),
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of the workshop")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--session", type=int, default=None, help="session (träff) number")
    which.add_argument("--series", action="store_true", help="every session of the series")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    parser.add_argument(
        "--names",
        action="store_true",
        help="include participants' names, and write the groups' files (default: left out)",
    )
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        default=i18n.DEFAULT_LANGUAGE,
        help="language of the documents and of the Excel column titles (default sv)",
    )
    return parser


def main(argv: list[str] | None = None, default_data_dir: Path | None = None) -> int:
    """Run the export command; return the exit code (0 done, 2 bad input or unwritable)."""
    args = build_parser().parse_args(argv)
    i18n.set_language(args.lang)
    data_dir = args.data_dir or default_data_dir
    if data_dir is None:
        print("tankesmedja export: --data-dir is required", file=sys.stderr)
        return 2
    db_path = data_dir / DB_NAME
    if not db_path.is_file():
        print(f"tankesmedja export: no workshop database in {data_dir}", file=sys.stderr)
        return 2
    sessions = None if args.series else [args.session] if args.session else None

    def show(done: int, total: int, name: str) -> None:
        print(tr("export_progress", done=done, total=total, name=name), file=sys.stderr)

    try:
        if sessions is None and not args.series:
            sessions = _current_session(db_path)
        files = export_all(db_path, args.out, sessions=sessions, names=args.names, progress=show)
    except (StoreError, ValueError) as exc:
        print(f"tankesmedja export: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        error = exc.strerror or str(exc)
        print(
            f"tankesmedja export: {tr('export_no_folder', folder=args.out, error=error)}",
            file=sys.stderr,
        )
        return 2
    print(tr("export_done", count=len(files), folder=args.out))
    if not args.names:
        print(tr("export_groups_need_names"), file=sys.stderr)
    return 0


def _current_session(db_path: Path) -> list[int] | None:
    from app.room import CURRENT_SESSION_KEY
    from app.store import Store

    store = Store(db_path, read_only=True)
    try:
        value = store.get_meta(CURRENT_SESSION_KEY)
    finally:
        store.close()
    return [int(value)] if value and value.isdigit() else None
