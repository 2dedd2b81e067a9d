"""A municipality's summary as one self-contained HTML page: the accessible form.

Semantic HTML (``lang`` on the document, one ``h1``, headings in order, lists, tables with a
caption and ``th scope="col"``, quotations as ``blockquote`` with their attribution), no
script, no external resources, text that reflows at any zoom, and colours that pass WCAG AA.
This is the form to publish where the law asks for accessible documents (DOS-lagen): a PDF
from reportlab carries no tags (see the README). Every text is escaped, so participant text
is shown as written and can never become markup.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from app.atomic import write_atomic
from app.export.outline import Bullets, Card, Grid, Heading, Outline, Para
from app.export.tables import xml_safe

_STYLE = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; line-height: 1.5; max-width: 46em;
  margin: 2em auto; padding: 0 1em; color: #1b1f23; background: #fff; }
h1, h2 { color: #14507a; }
p.note { color: #4a5560; font-size: 0.9em; }
blockquote { margin: 0.6em 0; padding: 0.5em 0.8em; border-left: 4px solid #c9d3dc; }
blockquote.highlighted { background: #fff4cc; border-left-color: #8a6d00; }
blockquote p { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 0.3em; }
blockquote footer { color: #4a5560; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #c9d3dc; padding: 0.25em 0.5em; text-align: left;
  vertical-align: top; }
th { background: #e6eef5; }
caption { text-align: left; color: #4a5560; padding-bottom: 0.3em; }
li { white-space: pre-wrap; overflow-wrap: anywhere; }
"""


def _text(text: str) -> str:
    return escape(xml_safe(text), quote=True)


def render_html(outline: Outline) -> str:
    """Return ``outline`` as an HTML document."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_text(outline.language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="Tankesmedja">',
        f"<title>{_text(outline.title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]
    for block in outline.blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            parts.append(f"<h{level}>{_text(block.text)}</h{level}>")
        elif isinstance(block, Para):
            note = ' class="note"' if block.note else ""
            parts.append(f"<p{note}>{_text(block.text)}</p>")
        elif isinstance(block, Card):
            kind = ' class="highlighted"' if block.highlighted else ""
            parts.append(
                f"<blockquote{kind}><p>{_text(block.text)}</p>"
                f"<footer>{_text(block.caption)}</footer></blockquote>"
            )
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_text(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(block, Grid):
            parts.append(_table(block))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _table(grid: Grid) -> str:
    caption = f"<caption>{_text(grid.caption)}</caption>" if grid.caption else ""
    head = "".join(f'<th scope="col">{_text(h)}</th>' for h in grid.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_text(cell)}</td>" for cell in row) + "</tr>" for row in grid.rows
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(outline: Outline, path: Path) -> Path:
    """Write ``outline`` as an HTML file atomically; return ``path``."""
    data = render_html(outline).encode("utf-8")
    write_atomic(path, lambda handle: handle.write(data))
    return path
