"""The map: the regions of the countries the vocabularies know (``boundaries.json``) and facilities
as points sized by their incidents, drawn as SVG on the server.

Projection: equirectangular with the longitudes shrunk by the cosine of the middle latitude of
what is shown (a degree of longitude is that much shorter than one of latitude there). Over
Ukraine, Belarus, Kazakhstan and European Russia it keeps shapes close to true; over all of Russia
the far north is stretched sideways, which a map for finding places tolerates. Chukotka's part
east of 180° is kept east of it (longitudes past 180), so Russia is drawn in one piece.

Every region with incidents and every point is a link with an accessible name: the keyboard
reaches them in turn, and without JavaScript they work as any link does."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

BOUNDARIES = os.path.join(os.path.dirname(__file__), "boundaries.json")
WIDTH = 1000
MARGIN = 2.0  # degrees around the points shown
MIN_SPAN = 14.0  # degrees of latitude shown at least, so one point is not a close-up
EMPTY, FILLED, EDGE, POINT = "#eef1f4", "#c9d8ee", "#8a97a6", "#b3261e"


@cache
def _boundaries() -> dict:
    with open(BOUNDARIES, encoding="utf-8") as handle:
        data = json.load(handle)
    scale = data["scale"]

    def rings(polygons):
        return [[(x / scale, y / scale) for x, y in ring] for ring in polygons]
    return {"countries": {code: rings(p) for code, p in data["countries"].items()},
            "regions": {code: rings(p) for code, p in data["regions"].items()}}


def region_codes() -> set[str]:
    return set(_boundaries()["regions"])


def _bounds(rings) -> tuple[float, float, float, float]:
    xs = [x for ring in rings for x, _y in ring]
    ys = [y for ring in rings for _x, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


@dataclass
class Point:
    href: str
    name: str  # the accessible name: the facility and its count
    latitude: float
    longitude: float
    count: int


@dataclass
class Area:
    href: str | None
    name: str
    count: int


@dataclass
class Projection:
    west: float
    north: float
    factor: float  # cos of the middle latitude
    scale: float  # pixels per degree of latitude
    height: int

    def __call__(self, longitude: float, latitude: float) -> tuple[float, float]:
        longitude += 360 if longitude < -100 else 0
        return ((longitude - self.west) * self.factor * self.scale, (self.north - latitude) * self.scale)


def projection_for(points: list[Point]) -> Projection:
    """Around the points (with a margin, at least ``MIN_SPAN`` degrees tall), or all four
    countries when there is none."""
    if points:
        lons = [p.longitude + (360 if p.longitude < -100 else 0) for p in points]
        lats = [p.latitude for p in points]
        west, south, east, north = min(lons) - MARGIN, min(lats) - MARGIN, max(lons) + MARGIN, max(lats) + MARGIN
    else:
        west, south, east, north = _bounds([r for rings in _boundaries()["countries"].values() for r in rings])
    factor = math.cos(math.radians((north + south) / 2))
    if north - south < MIN_SPAN:
        middle = (north + south) / 2
        south, north = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    # Wide enough for the page's shape (about 2 by 1), centred on what is shown.
    span_x = max(east - west, (north - south) * 2 / factor)
    centre = (east + west) / 2
    west, east = centre - span_x / 2, centre + span_x / 2
    scale = WIDTH / ((east - west) * factor)
    return Projection(west, north, factor, scale, round((north - south) * scale))


def _path(rings, project) -> str:
    parts = []
    for ring in rings:
        points = [project(x, y) for x, y in ring]
        parts.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _visible(rings, project, height: int) -> bool:
    west, south, east, north = _bounds(rings)
    x0, y0 = project(west, north)
    x1, y1 = project(east, south)
    return x1 >= 0 and x0 <= WIDTH and y1 >= 0 and y0 <= height


def radius(count: int, most: int) -> float:
    """Area grows with the count: the largest point is 16 px across at most, the smallest 4."""
    return round(4 + 12 * math.sqrt(count / max(most, 1)), 1)


def svg(title: str, areas: dict[str, Area], points: list[Point], region_name) -> str:
    """The map as SVG: regions (linked when they hold incidents), country outlines, then points;
    ``region_name(code)`` names a region without incidents, in the reader's language."""
    project = projection_for(points)
    height = project.height
    attr = {'"': "&quot;"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="map" '
           f'aria-labelledby="map-title"><title id="map-title">{escape(title)}</title>',
           f'<rect width="{WIDTH}" height="{height}" fill="#f8fafc"/>']
    for code, rings in sorted(_boundaries()["regions"].items()):
        if not _visible(rings, project, height):
            continue
        area = areas.get(code)
        shape = (f'<path d="{_path(rings, project)}" fill="{FILLED if area and area.count else EMPTY}" '
                 f'stroke="{EDGE}" stroke-width="0.6" stroke-linejoin="round">'
                 f'<title>{escape(area.name if area else region_name(code))}</title></path>')
        if area and area.href:
            shape = (f'<a href="{escape(area.href, attr)}" aria-label="{escape(area.name, attr)}" '
                     f'class="map-region">{shape}</a>')
        out.append(shape)
    for rings in _boundaries()["countries"].values():
        if _visible(rings, project, height):
            out.append(f'<path d="{_path(rings, project)}" fill="none" stroke="#4a5563" stroke-width="1.2" '
                       'stroke-linejoin="round"/>')
    most = max((p.count for p in points), default=1)
    for point in sorted(points, key=lambda p: -p.count):  # small points over large ones
        x, y = project(point.longitude, point.latitude)
        out.append(f'<a href="{escape(point.href, attr)}" aria-label="{escape(point.name, attr)}" class="map-point">'
                   f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius(point.count, most)}" fill="{POINT}" '
                   f'fill-opacity="0.75" stroke="#ffffff" stroke-width="1.2"><title>{escape(point.name)}</title>'
                   "</circle></a>")
    out.append("</svg>")
    return "".join(out)
