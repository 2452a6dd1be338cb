"""The choropleth of Europe: geometry loaded once, coloured by counts of actors."""

import dataclasses
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.translation import ngettext

from community.charts import ValueClass, class_of, classify
from community.countries import country_name
from community.filters import query_params
from community.selectors import DirectoryQuery

GEOMETRY_FILE = Path(__file__).resolve().parent / "geo" / "europe.json"
MARKER_RADIUS = 5


@dataclass(frozen=True)
class Shape:
    code: str
    path: str
    centre: tuple[float, float]
    marker: bool  # too small to see or click: drawn with a dot on top


@dataclass(frozen=True)
class Geometry:
    view_box: str
    width: float
    height: float
    context: str  # the land around Europe, drawn but not linked
    shapes: tuple[Shape, ...]


@cache
def europe_geometry() -> Geometry:
    """The projected countries of scripts/build_geometry.py, read once per process."""
    data = json.loads(GEOMETRY_FILE.read_text(encoding="utf-8"))
    return Geometry(
        view_box=data["viewBox"],
        width=data["width"],
        height=data["height"],
        context=data["context"],
        shapes=tuple(
            Shape(c["code"], c["path"], tuple(c["centre"]), bool(c.get("marker")))
            for c in data["countries"]
        ),
    )


@dataclass
class MapCountry:
    code: str
    name: str
    count: int
    colour: int  # 0 (no actor) to 5
    label: str  # "Germany: 1,234 actors", for the title, aria-label and table
    href: str
    shape: Shape | None = None


@dataclass
class Choropleth:
    geometry: Geometry
    countries: list[MapCountry]  # drawing order: large countries first, dotted ones on top
    rows: list[MapCountry]  # the table: countries with actors
    empty_countries: list[MapCountry]  # on the map, without actors (under these filters)
    legend: list[ValueClass]
    total: int
    marker_radius: int = MARKER_RADIUS


def collation_key(text: str) -> str:
    """Sorts names as people expect across languages (Österreich with the Os)."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )


def actors_label(name: str, count: int) -> str:
    return ngettext("%(name)s: %(count)s actor", "%(name)s: %(count)s actors", count) % {
        "name": name,
        "count": intcomma(count),
    }


def directory_url(query: DirectoryQuery, **facets: list[str]) -> str:
    """The directory under `query`, with some facets replaced (e.g. country=["DE"])."""
    narrowed = dataclasses.replace(query, **facets)
    params = query_params(narrowed)
    return reverse("community:directory") + (f"?{urlencode(params)}" if params else "")


def choropleth(counts: dict[str, int], *, query: DirectoryQuery, sort: str = "count") -> Choropleth:
    """Every country of the map with its count, colour class, label and directory link.

    Counts of countries the map does not draw (none today) still reach the table.
    """
    geometry = europe_geometry()
    legend = classify(counts.values())
    shapes = {s.code: s for s in geometry.shapes}
    countries = []
    for code in shapes.keys() | counts.keys():
        name = country_name(code)
        n = counts.get(code, 0)
        countries.append(
            MapCountry(
                code=code,
                name=name,
                count=n,
                colour=class_of(n, legend),
                label=actors_label(name, n),
                href=directory_url(query, country=[code]),
                shape=shapes.get(code),
            )
        )
    countries.sort(key=lambda c: collation_key(c.name))
    rows = [c for c in countries if c.count]
    if sort != "name":
        rows.sort(key=lambda c: -c.count)  # stable: ties stay in name order
    drawn = [c for c in countries if c.shape]
    drawn.sort(key=lambda c: c.shape.marker)
    return Choropleth(
        geometry=geometry,
        countries=drawn,
        rows=rows,
        empty_countries=[c for c in countries if not c.count],
        legend=legend,
        total=sum(counts.values()),
    )
