"""How series and heatmap levels look, in the terminal and on paper, from one table.

Series differ by colour AND marker, so a chart stays readable without colour (plain text,
printouts, colour-blind readers). Terminal colours are plotext's basic names, which map to the
16-colour palette every terminal has (no 256-colour or truecolor assumed).
"""

from __future__ import annotations

from dataclasses import dataclass

# (plotext basic colour, matplotlib colour of the same hue). "orange+" is plotext's name for
# bright yellow (palette 11).
COLORS: tuple[tuple[str, str], ...] = (
    ("blue+", "tab:blue"),
    ("red+", "tab:red"),
    ("green+", "tab:green"),
    ("magenta+", "darkmagenta"),
    ("cyan+", "darkcyan"),
    ("orange+", "goldenrod"),
)
# (terminal glyph, matplotlib marker of the same shape)
MARKERS: tuple[tuple[str, str], ...] = (
    ("●", "o"),
    ("■", "s"),
    ("▲", "^"),
    ("◆", "D"),
    ("▼", "v"),
    ("✚", "P"),
    ("✖", "X"),
    ("★", "*"),
)
# Heatmap levels, lightest to darkest, and the colours that draw them.
SHADES: tuple[str, ...] = ("░", "▒", "▓", "█")
HEATMAP_TERM_COLOR = "cyan+"
HEATMAP_CMAP = "Blues"
MISSING_CELL = "–"


@dataclass(frozen=True)
class SeriesStyle:
    term_color: str
    mpl_color: str
    term_marker: str
    mpl_marker: str


def series_style(index: int) -> SeriesStyle:
    """Style of the ``index``-th series: colours cycle every 6, markers every 8, so the first
    24 series all differ in at least one and the first 6 in both."""
    term_color, mpl_color = COLORS[index % len(COLORS)]
    term_marker, mpl_marker = MARKERS[index % len(MARKERS)]
    return SeriesStyle(term_color, mpl_color, term_marker, mpl_marker)
