"""Geometry of the small server-rendered charts: classes, axes, lines and bars in SVG units.

Nothing here touches the database or formats text for people: templates
draw the shapes and format the numbers and dates through Django's filters.
"""

import math
from dataclasses import dataclass
from datetime import date

# Class bounds people read at a glance: exact below ten, then this ladder.
_NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10)


def nice_number(value: float) -> int:
    """`value` itself below ten, else the nearest 1-1.5-2-2.5-3-4-5-6-7.5 x 10^n (log scale)."""
    if value < 10:
        return max(1, round(value))
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    return int(min((n * base for n in _NICE), key=lambda n: abs(math.log(value / n))))


@dataclass(frozen=True)
class ValueClass:
    """One colour class of a choropleth or heat table: counts from `low` to `high`."""

    index: int  # 1 (lightest) to 5 (darkest)
    low: int
    high: int


def classify(values, *, classes: int = 5) -> list[ValueClass]:
    """Quantile classes over the positive values, their bounds rounded to nice numbers.

    Counts of actors per country are skewed (a few countries hold most), so
    equal intervals would paint almost every country in the lightest class.
    Zero stays outside every class: it is shown as "no actor yet".
    """
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    top = positive[-1]
    lows = [1]
    for i in range(1, classes):
        bound = nice_number(positive[min(len(positive) - 1, len(positive) * i // classes)])
        if lows[-1] < bound <= top:
            lows.append(bound)
    highs = [low - 1 for low in lows[1:]] + [top]
    # Spread the colours so that the darkest always means "the most".
    if len(lows) == 1:
        indexes = [4]
    else:
        indexes = [round(1 + i * 4 / (len(lows) - 1)) for i in range(len(lows))]
    return [ValueClass(i, lo, hi) for i, lo, hi in zip(indexes, lows, highs, strict=True)]


def class_of(value: int, value_classes: list[ValueClass]) -> int:
    """The colour index of `value`: 0 for nothing, else its class's index."""
    if value <= 0:
        return 0
    for value_class in reversed(value_classes):
        if value >= value_class.low:
            return value_class.index
    return value_classes[0].index if value_classes else 0


def nice_ticks(top: int, *, count: int = 5) -> list[int]:
    """Round ticks from 0 to at least `top`, about `count` of them."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    exponent = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(n * exponent for n in (1, 2, 2.5, 5, 10) if n * exponent >= raw)
    step = max(1, math.ceil(step))
    return list(range(0, math.ceil(top / step) * step + 1, step))


@dataclass
class Tick:
    position: float
    value: object


@dataclass
class Series:
    name: str
    css_class: str
    values: list[int]


@dataclass
class DrawnSeries:
    name: str
    css_class: str
    points: str  # "x,y x,y ..." for <polyline>
    area: str  # a closed path under the line, for a light fill
    dots: list[tuple[float, float]]


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[DrawnSeries]


def line_chart(
    months: list[date],
    series: list[Series],
    *,
    width: int = 720,
    height: int = 300,
    labels: int = 8,
) -> LineChart:
    """Lines over months sharing one y axis from zero; months evenly spaced.

    `labels` is about how many months get a label: fewer on a narrow chart.
    """
    y_values = nice_ticks(max((max(s.values, default=0) for s in series), default=0))
    left = 24 + 8 * len(f"{y_values[-1]:,}")  # room for the longest y label ("12,500")
    right, top, bottom = width - 32, 16, height - 36
    y_max = y_values[-1] or 1

    def x_at(i: int) -> float:
        if len(months) <= 1:
            return (left + right) / 2
        return round(left + i * (right - left) / (len(months) - 1), 1)

    def y_at(v: int) -> float:
        return round(bottom - v * (bottom - top) / y_max, 1)

    drawn = []
    for s in series:
        coords = [(x_at(i), y_at(v)) for i, v in enumerate(s.values)]
        area = ""
        if coords:
            area = (
                f"M{coords[0][0]:g} {bottom:g}"
                + "".join(f"L{x:g} {y:g}" for x, y in coords)
                + f"L{coords[-1][0]:g} {bottom:g}Z"
            )
        drawn.append(
            DrawnSeries(
                name=s.name,
                css_class=s.css_class,
                points=" ".join(f"{x:g},{y:g}" for x, y in coords),
                area=area,
                # Dots where the line alone would not show the points; else the last one.
                dots=coords if len(coords) <= 24 else coords[-1:],
            )
        )
    step = max(1, math.ceil(len(months) / labels))
    x_ticks = [Tick(x_at(i), m) for i, m in enumerate(months) if i % step == 0]
    y_ticks = [Tick(y_at(v), v) for v in y_values]
    return LineChart(width, height, left, top, right, bottom, x_ticks, y_ticks, drawn)


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; None when there is no whole."""
    if not whole:
        return None
    return round(100 * part / whole, 1)
