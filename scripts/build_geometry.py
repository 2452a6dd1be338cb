#!/usr/bin/env python3
"""Builds community/geo/europe.json: the map's projected, clipped, simplified countries.

    .venv/bin/python scripts/build_geometry.py [--source DIR] [--tolerance KM]

Reads Natural Earth geometry through world-atlas (see community/geo/ATTRIBUTION.md)
from the shared data folder; the raw files are not part of the repository. The
output is deterministic, so rebuilding from the same source gives the same file.

Steps, all in plain Python:

1. European countries from europe-countries-50m.geojson (N. Cyprus, which has no
   ISO code, is drawn with Cyprus, as the EU does); every other country of
   countries-50m.json becomes grey context land (North Africa, the Middle East).
2. Lambert azimuthal equal-area centred on 52N 10E (the sphere behind
   ETRS89-LAEA, EPSG:3035): areas compare truly, which a choropleth needs.
3. Clipped to a rectangle that holds every listed country but Russia and Turkey
   (and remote islands: the Azores, Madeira, the Canaries, Svalbard), so the two
   largest do not dominate; what of them falls inside is kept.
4. Simplified with Douglas-Peucker between junctions (points where borders
   meet), so neighbours keep one shared border: no gaps, no overlaps.
5. Scaled to SVG units, rounded to 0.1 and written as compact relative paths.
"""

import argparse
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "geo"
OUTPUT = ROOT / "community" / "geo" / "europe.json"

R = 6371.0  # km, the authalic sphere is close enough at this scale
LAT0, LON0 = math.radians(52.0), math.radians(10.0)
# Rings whose centre lies outside this window do not widen the frame.
FRAME_WINDOW = (-25.0, 34.0, 50.5, 72.0)  # lon min, lat min, lon max, lat max
FRAME_IGNORES = {"RU", "TR"}
MARGIN_KM = 60.0
WIDTH = 1000.0  # SVG units across the frame
MICROSTATE_AREA = 40.0  # SVG units squared; smaller countries get a marker to click

Point = tuple[float, float]
Ring = list[Point]


def project(lon: float, lat: float) -> Point:
    lam, phi = math.radians(lon), math.radians(lat)
    cos_c = math.sin(LAT0) * math.sin(phi) + math.cos(LAT0) * math.cos(phi) * math.cos(lam - LON0)
    k = math.sqrt(2.0 / (1.0 + cos_c))
    x = R * k * math.cos(phi) * math.sin(lam - LON0)
    y = (
        R
        * k
        * (math.cos(LAT0) * math.sin(phi) - math.sin(LAT0) * math.cos(phi) * math.cos(lam - LON0))
    )
    return x, y


# Reading the sources


def polygons_of(geometry: dict) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


def read_europe(source: Path) -> dict[str, dict]:
    """code -> {name, rings (lon/lat)}: every ring, holes included (drawn even-odd)."""
    data = json.loads((source / "europe-countries-50m.geojson").read_text())
    countries: dict[str, dict] = {}
    for feature in data["features"]:
        props = feature["properties"]
        code = props.get("iso_a2") or ("CY" if props.get("name") == "N. Cyprus" else None)
        if code is None:
            continue
        entry = countries.setdefault(code, {"name": props["name"], "rings": []})
        if props.get("iso_a2"):
            entry["name"] = props["name"]
        for polygon in polygons_of(feature["geometry"]):
            entry["rings"].extend([tuple(p) for p in ring] for ring in polygon)
    return countries


def read_context(source: Path, european_names: set[str]) -> list[list[Point]]:
    """Rings of every non-European country of the world-atlas topology."""
    topo = json.loads((source / "countries-50m.json").read_text())
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((round(x * sx + tx, 5), round(y * sy + ty, 5)))
        arcs.append(points)

    def ring_of(indexes: list[int]) -> list[Point]:
        ring: list[Point] = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            ring.extend(points if not ring else points[1:])
        return ring

    rings = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        if geometry["properties"].get("name") in european_names:
            continue
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        for polygon in polygons:
            rings.extend(ring_of(r) for r in polygon)
    return rings


# Geometry


def ring_area(ring: Ring) -> float:
    return (
        abs(
            sum(
                x0 * y1 - x1 * y0
                for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)
            )
        )
        / 2
    )


def ring_centre(ring: list) -> Point:
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def frame_of(countries: dict[str, dict]) -> tuple[float, float, float, float]:
    lon0, lat0, lon1, lat1 = FRAME_WINDOW
    xs, ys = [], []
    for code, country in countries.items():
        if code in FRAME_IGNORES:
            continue
        for ring in country["rings"]:
            lon, lat = ring_centre(ring)
            if lon0 <= lon <= lon1 and lat0 <= lat <= lat1:
                for x, y in (project(*p) for p in ring):
                    xs.append(x)
                    ys.append(y)
    return min(xs) - MARGIN_KM, min(ys) - MARGIN_KM, max(xs) + MARGIN_KM, max(ys) + MARGIN_KM


def _intersect(a: Point, b: Point, axis: int, value: float) -> Point:
    # Canonical order: a border shared by two rings is crossed in opposite
    # directions, and both must get the very same point.
    a, b = min(a, b), max(a, b)
    t = (value - a[axis]) / (b[axis] - a[axis])
    other = 1 - axis
    point = [0.0, 0.0]
    point[axis] = value
    point[other] = a[other] + t * (b[other] - a[other])
    return point[0], point[1]


def clip(ring: Ring, frame: tuple[float, float, float, float]) -> Ring:
    """Sutherland-Hodgman against the frame; concave rings may gain edges along it."""
    x0, y0, x1, y1 = frame
    edges = [(0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)]
    points = ring[:-1] if ring and ring[0] == ring[-1] else ring
    for axis, value, keep_above in edges:
        if not points:
            break

        def inside(p, axis=axis, value=value, keep_above=keep_above):
            return p[axis] >= value if keep_above else p[axis] <= value

        out: Ring = []
        prev = points[-1]
        for cur in points:
            if inside(cur):
                if not inside(prev):
                    out.append(_intersect(prev, cur, axis, value))
                out.append(cur)
            elif inside(prev):
                out.append(_intersect(prev, cur, axis, value))
            prev = cur
        points = out
    deduped = [p for i, p in enumerate(points) if p != points[i - 1]] if len(points) > 1 else points
    return deduped if len(deduped) >= 3 and ring_area(deduped) > 0 else []


def junctions(rings: list[Ring], frame) -> set[Point]:
    """Points where a border meets another: the ends of the shared stretches."""
    x0, y0, x1, y1 = frame
    seen: dict[Point, set] = {}
    fixed: set[Point] = set()
    for ring in rings:
        n = len(ring)
        for i, p in enumerate(ring):
            pair = frozenset((ring[i - 1], ring[(i + 1) % n]))
            seen.setdefault(p, set()).add(pair)
            if p[0] in (x0, x1) or p[1] in (y0, y1):
                fixed.add(p)
    fixed.update(p for p, pairs in seen.items() if len(pairs) > 1)
    return fixed


def _dp(points: list[Point], tolerance: float) -> list[Point]:
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        best, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if norm:
                d = abs(dy * (px - ax) - dx * (py - ay)) / norm
            else:
                d = math.hypot(px - ax, py - ay)
            if d > best:
                best, index = d, i
        if index > 0 and best > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify_stretch(points: list[Point], tolerance: float) -> list[Point]:
    # Shared stretches are walked in opposite directions by the two neighbours;
    # simplifying one canonical direction keeps their borders identical.
    if points[0] > points[-1] or (points[0] == points[-1] and points[1] > points[-2]):
        return _dp(points[::-1], tolerance)[::-1]
    return _dp(points, tolerance)


def simplify(ring: Ring, fixed: set[Point], tolerance: float) -> Ring:
    anchors = [i for i, p in enumerate(ring) if p in fixed]
    if not anchors:
        # An island: anchor at its first point and the point farthest from it.
        far = max(range(len(ring)), key=lambda i: math.dist(ring[0], ring[i]))
        anchors = [0, far] if far else [0]
    start = anchors[0]
    rotated = ring[start:] + ring[:start]
    marks = [i - start for i in anchors] + [len(ring)]
    closed = rotated + [rotated[0]]
    out: Ring = []
    for a, b in zip(marks, marks[1:], strict=False):
        stretch = closed[a : b + 1]
        part = simplify_stretch(stretch, tolerance) if len(stretch) > 2 else stretch
        out.extend(part[:-1])
    return out


# Output


def to_svg(ring: Ring, frame, scale: float) -> list[tuple[int, int]]:
    """Points in tenths of an SVG unit (integers, so rounding never accumulates)."""
    x0, _y0, _x1, y1 = frame
    out: list[tuple[int, int]] = []
    for x, y in ring:
        p = (round((x - x0) * scale * 10), round((y1 - y) * scale * 10))
        if not out or p != out[-1]:
            out.append(p)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def _num(tenths: int) -> str:
    text = f"{tenths / 10:.1f}".rstrip("0").rstrip(".")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return text or "0"


def _pair(x: int, y: int) -> str:
    a, b = _num(x), _num(y)
    # A minus sign or a leading decimal point separates numbers by itself.
    sep = "" if b.startswith("-") or (b.startswith(".") and "." in a) else " "
    return f"{a}{sep}{b}"


def path_of(rings: list[list[tuple[int, int]]]) -> str:
    parts = []
    for ring in rings:
        (x, y), rest = ring[0], ring[1:]
        steps = []
        for px, py in rest:
            steps.append(_pair(px - x, py - y))
            x, y = px, py
        parts.append(f"M{_pair(*ring[0])}l" + " ".join(steps).replace(" -", "-") + "z")
    return "".join(parts)


def area_tenths(ring: list[tuple[int, int]]) -> float:
    return ring_area([(x / 10, y / 10) for x, y in ring])


def build(source: Path, tolerance: float) -> dict:
    countries = read_europe(source)
    context_rings = read_context(source, {c["name"] for c in countries.values()} | {"N. Cyprus"})
    frame = frame_of(countries)
    scale = WIDTH / (frame[2] - frame[0])
    height = round((frame[3] - frame[1]) * scale, 1)

    def prepare(rings):
        return [c for c in (clip([project(*p) for p in r], frame) for r in rings) if c]

    for country in countries.values():
        country["projected"] = prepare(country["rings"])
    context = prepare(context_rings)
    fixed = junctions([r for c in countries.values() for r in c["projected"]] + context, frame)

    # Drop islands smaller than about a pixel; every country keeps its largest ring.
    min_area = (tolerance * scale) ** 2
    out = []
    for code in sorted(countries):
        country = countries[code]
        rings = [to_svg(simplify(r, fixed, tolerance), frame, scale) for r in country["projected"]]
        rings = [r for r in rings if len(r) >= 3]
        if not rings:
            # Smaller than the tolerance (Monaco, the Vatican): as it is, if anything is left.
            rings = [
                r for r in (to_svg(r, frame, scale) for r in country["projected"]) if len(r) >= 3
            ]
        if rings:
            largest = max(rings, key=area_tenths)
            rings = [r for r in rings if r is largest or area_tenths(r) >= min_area]
            cx, cy = ring_centre(largest)
        else:
            cx, cy = ring_centre(to_svg(max(country["projected"], key=ring_area), frame, scale))
        entry = {"code": code, "name": country["name"], "path": path_of(rings)}
        entry["centre"] = [round(cx / 10, 1), round(cy / 10, 1)]
        if sum(area_tenths(r) for r in rings) < MICROSTATE_AREA:
            entry["marker"] = True
        out.append(entry)
    land = [to_svg(simplify(r, fixed, tolerance * 1.5), frame, scale) for r in context]
    land = [r for r in land if len(r) >= 3 and area_tenths(r) >= min_area * 2]
    return {
        "viewBox": f"0 0 {WIDTH:g} {height:g}",
        "width": WIDTH,
        "height": height,
        "projection": "Lambert azimuthal equal-area, 52N 10E (sphere)",
        "countries": out,
        "context": path_of(land),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument(
        "--tolerance", type=float, default=2.0, help="Douglas-Peucker tolerance in km"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    result = build(args.source, args.tolerance)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", encoding="utf-8")
    print(
        f"{args.output}: {len(result['countries'])} countries, {len(text) / 1024:.0f} KB, viewBox {result['viewBox']}"
    )


if __name__ == "__main__":
    main()
