"""Draw the app icon (assets/icons/) at every size desktops ask for, from the favicon's design.

Run after changing the design: ``python scripts/make_icons.py`` (needs Pillow, a test extra).
The PNGs serve the window and the Linux desktop entry, ``.ico`` the Windows bundle and
``.icns`` the macOS one (build.spec picks them up).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "assets" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)
# The favicon's drawing on a 32-unit grid: a rounded square and three people.
BACKGROUND = "#14507a"
PEOPLE = ((11, 12, "#ffffff"), (21, 12, "#f5b400"), (16, 21, "#7fd1ae"))


def draw(size: int) -> Image.Image:
    """Return the icon at ``size`` pixels (drawn four times larger, then scaled down)."""
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = big / 32
    pen.rounded_rectangle([0, 0, big - 1, big - 1], radius=6 * unit, fill=BACKGROUND)
    for cx, cy, colour in PEOPLE:
        pen.ellipse(
            [(cx - 4) * unit, (cy - 4) * unit, (cx + 4) * unit, (cy + 4) * unit], fill=colour
        )
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    """Write every icon file."""
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(OUT / f"tankesmedja-{size}.png")
    draw(256).save(OUT / "tankesmedja.ico", sizes=[(n, n) for n in (16, 32, 48, 64, 128, 256)])
    draw(1024).save(OUT / "tankesmedja.icns")
    (OUT / "tankesmedja.svg").write_text((OUT.parent / "favicon.svg").read_text("utf-8"), "utf-8")


if __name__ == "__main__":
    main()
