"""Server-made SVG charts: the geometry and the markup (:meth:`Chart.svg`).

Written by hand rather than with a charting library: the page's Content-Security-Policy
allows no inline script or style, and pygal's SVG carries both (``<script>`` for its
tooltips, a ``<style>`` sheet); leather and drawsvg hand back finished markup that would
have to pass ``|safe`` into the page. Here a few rectangles and polylines are written with
every text and attribute value escaped (a department's name is user text), styled by
classes from the package's stylesheet, and every chart has its table next to it. The
markup is written in Python rather than by a Jinja macro: a year's report draws some 150
shapes, and the macro's per-attribute calls were a fifth of the page's time.
"""

import functools
import math
from dataclasses import dataclass, field

from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from ..i18n.dates import current_locale
from ..i18n.setup import gettext

WIDTH = 720
LINE_HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 28
LABEL_WIDTH = 170
BAR = 12
GAP = 10


def nice_ceiling(value):
    """Return a round number at least ``value`` (1, 2, 5 × a power of ten), for an axis's top."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


@dataclass
class Chart:
    """One chart: what the template needs to draw it."""

    kind: str  # "line" or "bars"
    title: str
    width: int
    height: int
    series: list = field(default_factory=list)  # names, in drawing order
    lines: list = field(default_factory=list)  # line: (series index, "x,y x,y …")
    bars: list = field(default_factory=list)  # bars: dicts x, y, width, height, series, value
    labels: list = field(default_factory=list)  # text: dicts x, y, text, anchor
    gridlines: list = field(default_factory=list)  # dicts y, label

    def svg(self, id):
        """Return the chart's ``<figure>`` (SVG and legend) as markup; ``id`` prefixes its title's id.

        Every text is escaped (names are user text); the coordinates and sizes are numbers
        computed here, written as they are.
        """
        e = escape
        line = self.kind == "line"
        parts = [
            '<figure class="xt-chart">\n',
            f'<svg class="xt-chart-{e(self.kind)}" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{e(id)}-title" preserveAspectRatio="xMinYMin meet">\n',
            f'<title id="{e(id)}-title">'
            f"{e(gettext('%(title)s (the table below has the numbers)', title=self.title))}</title>\n",
        ]
        for g in self.gridlines:
            x1, x2, y = g["x1"], g["x2"], g["y"]
            parts.append(
                f'<line class="xt-grid" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>\n'
                f'<text class="xt-axis" x="{(x1 - 4 if line else x2)}" y="{(y + 4 if line else y + 14)}" '
                f'text-anchor="end">{e(g["label"])}</text>\n'
            )
        for index, points in self.lines:
            parts.append(f'<polyline class="xt-series-{index}" fill="none" points="{e(points)}"/>\n')
        for b in self.bars:
            parts.append(
                f'<rect class="xt-series-{b["series"]}" x="{b["x"]}" y="{b["y"]}" '
                f'width="{b["width"]}" height="{b["height"]}"/>\n'
            )
        for label in self.labels:
            parts.append(
                f'<text class="xt-axis" x="{label["x"]}" y="{label["y"]}" '
                f'text-anchor="{e(label["anchor"])}">{e(label["text"])}</text>\n'
            )
        parts.append('</svg>\n<figcaption class="xt-legend">')
        for index, name in enumerate(self.series):
            parts.append(f'<span class="xt-key xt-series-{index}">{e(name)}</span>')
        parts.append("</figcaption>\n</figure>")
        return Markup("".join(parts))


def _number(value):
    """Return ``value`` with the reader's decimal mark, without trailing zeros: ``1,5``, ``20``."""
    return _number_text(value, current_locale())


@functools.lru_cache(maxsize=4096)
def _number_text(value, locale):
    # Axis labels and values repeat (round numbers, counts): formatted once per locale.
    return format_decimal(value, format="#,##0.#", locale=locale)


def line_chart(title, days, series):
    """Return a line chart of ``series`` (``[(name, [value per day])]``) over ``days``."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = LINE_HEIGHT - TOP - BOTTOM
    top_value = nice_ceiling(max([v for _, values in series for v in values] or [0]))
    chart = Chart("line", title, WIDTH, LINE_HEIGHT, series=[name for name, _ in series])
    steps = max(len(days) - 1, 1)

    def x(i):
        return round(LEFT + plot_w * i / steps, 1)

    def y(v):
        return round(TOP + plot_h * (1 - v / top_value), 1)

    for index, (_, values) in enumerate(series):
        chart.lines.append((index, " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))))
    for fraction in (0, 0.5, 1):
        value = top_value * fraction
        chart.gridlines.append({"y": y(value), "label": _number(value), "x1": LEFT, "x2": WIDTH - RIGHT})
    if days:
        picks = sorted({0, len(days) // 2, len(days) - 1})
        for i in picks:
            anchor = "start" if i == 0 else "end" if i == len(days) - 1 else "middle"
            text = format_date(days[i], "medium", locale=current_locale())
            chart.labels.append({"x": x(i), "y": LINE_HEIGHT - 8, "text": text, "anchor": anchor})
    return chart


def bar_chart(title, categories, series, unit=""):
    """Return horizontal grouped bars: ``categories`` (names) × ``series`` (``[(name, [value per category])]``)."""
    group_h = BAR * max(len(series), 1) + GAP
    height = TOP + group_h * max(len(categories), 1) + BOTTOM
    top_value = nice_ceiling(max([v or 0 for _, values in series for v in values] or [0]))
    plot_w = WIDTH - LABEL_WIDTH - RIGHT - 60
    chart = Chart("bars", title, WIDTH, height, series=[name for name, _ in series])
    for row, category in enumerate(categories):
        group_y = TOP + row * group_h
        chart.labels.append(
            {"x": LABEL_WIDTH - 6, "y": group_y + group_h / 2 + 2, "text": str(category), "anchor": "end"}
        )
        for index, (_, values) in enumerate(series):
            value = values[row] or 0
            width = round(plot_w * value / top_value, 1)
            bar_y = group_y + index * BAR
            chart.bars.append(
                {"x": LABEL_WIDTH, "y": bar_y, "width": max(width, 0.5), "height": BAR - 2, "series": index}
            )
            text = "–" if values[row] is None else f"{_number(value)}{unit}"
            chart.labels.append({"x": LABEL_WIDTH + width + 4, "y": bar_y + BAR - 3, "text": text, "anchor": "start"})
    chart.gridlines.append(
        {
            "y": height - BOTTOM + 4,
            "label": f"{_number(top_value)}{unit}",
            "x1": LABEL_WIDTH,
            "x2": LABEL_WIDTH + plot_w,
        }
    )
    return chart
