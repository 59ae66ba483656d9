"""Public pages: home, the list of published incidents with filters, a facility's page; the
statistics and the map (``statistics.py``)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from incidents import i18n
from incidents.models import Facility
from incidents.public import statistics as charts
from incidents.search.facilities import (
    facility_directory,
    latest_published,
    published_at,
    published_counts,
    visible_facilities,
)
from incidents.search.filters import Filters, parse_filters, parse_page
from incidents.search.queries import passages, search_published
from incidents.search.statistics import statistics as statistics_of
from incidents.views import actor, link_args, read_query

bp = Blueprint("public", __name__)
bp.add_url_rule("/statistics", view_func=charts.statistics)
bp.add_url_rule("/statistics.csv", view_func=charts.statistics_csv)
bp.add_url_rule("/statistics/<dimension>.<any(csv, svg, png):extension>", view_func=charts.statistics_download)
bp.add_url_rule("/map", view_func=charts.incident_map)
# The facets the list page shows (counting one costs time, so only these).
LIST_FACETS = ("facility", "region", "country", "perpetrator", "abuse", "verification")


@bp.route("/")
def home():
    total, facilities = published_counts()
    return render_template("public/home.html", latest=latest_published(), total=total,
                           facilities=facilities)


@bp.route("/incidents")
def incident_list():
    """Published incidents under the filters of the query string, with facet counts."""
    filters, errors = read_query(parse_filters, Filters())
    language = i18n.language()
    filters.facets = LIST_FACETS
    page = search_published(filters, language, actor())
    # An item names its facility and links to it: nothing else of the facility is read (or decoded).
    facilities = {f.id: f for f in Facility.select(Facility.id, Facility.names, Facility.original_language)
                  .where(Facility.id.in_({row.facility_id for row in page.items}))}
    options = sorted(((entry["value"], entry["label"]) for entry in page.facets["facility"]),
                     key=lambda pair: pair[1].casefold())
    return render_template("public/incidents.html", page=page, filters=filters, errors=errors,
                           facilities=facilities, all_facilities=options, export_args=link_args("fmt", "hxl"),
                           passages=passages(page.items, filters.q, language)), \
        400 if errors else 200


@bp.route("/facilities")
def facility_list():
    """Facilities with their number of published incidents, a page at a time; ``q`` matches names in
    any script."""
    q = (request.args.get("q") or "").strip()[:200]
    number, errors = read_query(parse_page, 1)
    return render_template("public/facilities.html", q=q, errors=errors,
                           page=facility_directory(actor(), q, i18n.language(), number)), 400 if errors else 200


@bp.route("/facilities/<int:facility_id>")
def facility_detail(facility_id):
    """A facility and its published incidents, newest first, a page at a time.

    :raise 404: no such facility, or one the reader may not know of yet.
    """
    facility = visible_facilities(actor()).where(Facility.id == facility_id).first()
    if facility is None:
        abort(404)
    number, errors = read_query(parse_page, 1)
    stats = statistics_of(Filters(facility=[facility.id]), i18n.language(), actor())
    return render_template("public/facility.html", facility=facility, stats=stats, errors=errors,
                           page=published_at(facility, number)), 400 if errors else 200

