"""Command line entry point: ``tankesmedja`` starts the console; subcommands do the rest.

This module only parses arguments and dispatches. Qt, the loop and the server are built in
:mod:`app.composition`, imported lazily so that ``tankesmedja groups`` or ``--help`` start fast
and work without a display.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import __version__, i18n
from app.paths import default_data_dir

DEFAULT_PORT = 8765

SUBCOMMANDS = {
    "groups": "make cross-municipality groups from a roster CSV (tankesmedja groups --help)",
    "simulate": "rehearse a whole session headless with N simulated participants",
    "export": "write the PDF per municipality, the overview and raw data (export --help)",
}


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the console command's options."""
    epilog = "subcommands:\n" + "\n".join(
        f"  tankesmedja {name:<8} {text}" for name, text in SUBCOMMANDS.items()
    )
    parser = argparse.ArgumentParser(
        prog="tankesmedja",
        description="Facilitation console for hybrid cross-municipal workshops (tankesmedjor).",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tankesmedja {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the workshop database (default: your user data folder)",
    )
    # The console remembers --host, --port and --lang in its settings (Arkiv > Inställningar):
    # a flag given wins, a flag left out takes the remembered value, then the default.
    parser.add_argument(
        "--host",
        default=None,
        help="address to listen on (default: the console's saved setting, else every interface)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        help=f"port to listen on (default: the console's saved setting, else {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        default=None,
        help=f"console language (default: the saved setting, else {i18n.DEFAULT_LANGUAGE})",
    )
    parser.add_argument(
        "--session", type=int, default=None, help="session (träff) number to run (default: last)"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check the installation end to end (server, one join, one PDF, window) and exit",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run only the participant server, without a window (Ctrl+C stops it)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "groups":
        from app import cli_groups

        return cli_groups.main(args_list[1:])
    if args_list and args_list[0] == "export":
        from app import cli_export

        return cli_export.main(args_list[1:], default_data_dir())
    if args_list and args_list[0] == "simulate":
        from app import composition

        return composition.run_simulate(args_list[1:])
    args = build_parser().parse_args(args_list)
    i18n.set_language(args.lang or i18n.DEFAULT_LANGUAGE)
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    port = args.port if args.port is not None else DEFAULT_PORT

    from app import composition

    if args.self_test:
        return composition.run_self_test()
    if args.headless:
        return composition.run_headless(data_dir, args.host, port, args.session)
    # The console falls back on its remembered settings for what was not given.
    return composition.run_console(
        args.data_dir, args.host, args.port, args.session, lang=args.lang
    )


if __name__ == "__main__":
    raise SystemExit(main())
