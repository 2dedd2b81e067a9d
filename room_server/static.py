"""The participant page's files, served from a fixed whitelist loaded into memory at start.

Request paths are only ever *looked up* in this table; no file name is ever built from a
request, so there is nothing to traverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

# URL path -> (file inside the ``assets`` package, content type)
WHITELIST: dict[str, tuple[str, str]] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
    "/i18n/sv.json": ("i18n/sv.json", "application/json; charset=utf-8"),
    "/i18n/en.json": ("i18n/en.json", "application/json; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One servable file's bytes and type."""

    body: bytes
    content_type: str


def load() -> dict[str, StaticFile]:
    """Read every whitelisted file once; a missing asset is a packaging bug, so it raises."""
    root = resources.files("assets")
    files: dict[str, StaticFile] = {}
    for path, (name, content_type) in WHITELIST.items():
        node = root
        for part in name.split("/"):
            node = node.joinpath(part)
        files[path] = StaticFile(node.read_bytes(), content_type)
    return files
