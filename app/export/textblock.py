"""A fast, markup-free flowable for participant text (reflection cards, answers).

Why not reportlab's ``Paragraph``: it parses its input as markup, which participant text must
never be (we would have to escape it and hope), and it is slow — an export of 2 000 cards
spends most of its time parsing and re-measuring the same words. ``TextBlock`` draws text with
``drawString``, which has no markup at all, wraps on spaces with a per-font cache of word
widths, breaks words longer than a line, and splits across pages line by line.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.platypus import Flowable


@lru_cache(maxsize=64)
def _glyphs(font: str) -> frozenset[int]:
    face = getattr(getFont(font), "face", None)
    return frozenset(getattr(face, "charToGlyph", {}) or ())


@lru_cache(maxsize=4096)
def _stand_in(ch: str) -> str:
    # The character's Unicode name says what was written ("[THUMBS UP SIGN]"), where an
    # empty box would say nothing; the researcher's raw data keeps the character itself.
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"[{name.lower()}]"


def printable(text: str, font: str) -> str:
    """Return ``text`` with every character the font cannot draw (most emoji) named instead.

    Variation selectors and joiners without a glyph are left out (they draw nothing).
    """
    glyphs = _glyphs(font)
    if not glyphs or all(ord(ch) in glyphs or ch in "\n " for ch in text):
        return text
    out = []
    for ch in text:
        if ord(ch) in glyphs or ch in "\n ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        else:
            out.append(_stand_in(ch))
    return "".join(out)


@lru_cache(maxsize=200_000)
def _width(word: str, font: str, size: float) -> float:
    return float(stringWidth(word, font, size))


def _break_long(word: str, font: str, size: float, limit: float) -> list[str]:
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and _width(current + ch, font, size) > limit:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def layout(text: str, font: str, size: float, limit: float) -> list[str]:
    """Return ``text`` broken into lines no wider than ``limit`` points."""
    space = _width(" ", font, size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        line: list[str] = []
        used = 0.0
        for word in words:
            if not word:
                continue
            width = _width(word, font, size)
            if width > limit:
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                *full, rest = _break_long(word, font, size, limit)
                lines.extend(full)
                line, used = [rest], _width(rest, font, size)
                continue
            needed = width if not line else used + space + width
            if needed > limit and line:
                lines.append(" ".join(line))
                line, used = [word], width
            else:
                line.append(word)
                used = needed
        lines.append(" ".join(line))
    return lines


class TextBlock(Flowable):
    """Plain text in a box, with an optional small caption line (e.g. the author)."""

    def __init__(
        self,
        text: str,
        *,
        caption: str = "",
        font: str,
        size: float = 10,
        leading: float = 13.5,
        caption_font: str | None = None,
        caption_size: float = 8,
        background: colors.Color | None = None,
        border: colors.Color | None = None,
        padding: float = 5,
        space_after: float = 5,
    ) -> None:
        """Make a block; nothing is measured until reportlab asks for a width."""
        super().__init__()
        self.text = printable(text, font)
        self.caption = printable(caption, caption_font or font)
        self.font = font
        self.size = size
        self.leading = leading
        self.caption_font = caption_font or font
        self.caption_size = caption_size
        self.background = background
        self.border = border
        self.padding = padding
        self.spaceAfter = space_after
        self._lines: list[str] | None = None
        self._caption_lines: list[str] = []
        self._laid_width = -1.0

    def _layout(self, width: float) -> None:
        if self._lines is not None and width == self._laid_width:
            return
        inner = max(width - 2 * self.padding, 20)
        self._lines = layout(self.text, self.font, self.size, inner)
        self._caption_lines = (
            layout(self.caption, self.caption_font, self.caption_size, inner)
            if self.caption
            else []
        )
        self._laid_width = width

    def _height(self) -> float:
        lines = self._lines or []
        caption = len(self._caption_lines) * (self.caption_size + 2.5)
        return len(lines) * self.leading + caption + 2 * self.padding

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """Lay out for ``availWidth`` and return the size needed."""
        self._layout(availWidth)
        self.width = availWidth
        self.height = self._height()
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        """Split between lines so a long card continues on the next page."""
        self._layout(availWidth)
        lines = self._lines or []
        fit = int((availHeight - 2 * self.padding) // self.leading)
        if fit < 2 or fit >= len(lines):
            return []  # too little room for two lines, or it all fits: let reportlab move it
        common = {
            "font": self.font,
            "size": self.size,
            "leading": self.leading,
            "caption_font": self.caption_font,
            "caption_size": self.caption_size,
            "background": self.background,
            "border": self.border,
            "padding": self.padding,
        }
        first = TextBlock("\n".join(lines[:fit]), space_after=0, **common)  # type: ignore[arg-type]
        rest = TextBlock(
            "\n".join(lines[fit:]),
            caption=self.caption,
            space_after=self.spaceAfter,
            **common,  # type: ignore[arg-type]
        )
        return [first, rest]

    def draw(self) -> None:
        """Draw the box and its text (``drawString``: no markup is ever interpreted)."""
        canvas = self.canv
        if self.background is not None or self.border is not None:
            canvas.saveState()
            if self.background is not None:
                canvas.setFillColor(self.background)
            if self.border is not None:
                canvas.setStrokeColor(self.border)
                canvas.setLineWidth(0.5)
            canvas.rect(
                0,
                0,
                self.width,
                self.height,
                stroke=int(self.border is not None),
                fill=int(self.background is not None),
            )
            canvas.restoreState()
        text = canvas.beginText()
        text.setTextOrigin(self.padding, self.height - self.padding - self.size)
        text.setFont(self.font, self.size, self.leading)
        for line in self._lines or []:
            text.textLine(line)
        if self._caption_lines:
            text.setFont(self.caption_font, self.caption_size, self.caption_size + 2.5)
            text.setFillColor(colors.HexColor("#4a5560"))
            for line in self._caption_lines:
                text.textLine(line)
        canvas.drawText(text)
