"""The public statistics and the map: counts of published incidents under the list's filters,
drawn on the server, and each chart's downloads (CSV, SVG, PNG). Registered on the public
blueprint by ``routes.py``."""
from __future__ import annotations

import datetime

from flask import Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from incidents import geo, i18n
from incidents.charts import bars, maps
from incidents.publication.open_data_row import csv_text
from incidents.search.filters import Filters, parse_filters
from incidents.search.queries import search_published
from incidents.search.statistics import ALIASES, DIMENSIONS, PERIODS, places
from incidents.search.statistics import statistics as statistics_of
from incidents.views import actor, link_args, read_query

TITLES = {
    ("time", "year"): _l("Incidents per year"),
    ("time", "month"): _l("Incidents per month"),
    "abuse": _l("Most frequent abuse types"),
    "perpetrators": _l("Incidents per perpetrator type"),
    "region": _l("Incidents per region"),
    "facility": _l("Facilities with the most incidents"),
    "facility_type": _l("Incidents per facility type"),
    "verification": _l("Incidents per verification status"),
}
# Parts of a download's file name: what it counts, in words that stay the same in every language.
FILE_NAMES = {"time": "per-{period}", "abuse": "by-abuse-type", "perpetrators": "by-perpetrator",
              "region": "by-region", "facility": "by-facility", "facility_type": "by-facility-type",
              "verification": "by-verification-status"}
FORMATS = {"csv": "text/csv; charset=utf-8", "svg": "image/svg+xml", "png": "image/png"}
# The filters the statistics' and the map's form offer (the list's, less its country).
FORM_FACETS = ("facility", "region", "abuse", "perpetrator", "verification")
# Query parameters that are not filters: a download's link carries the page's filters without them.
NOT_FILTERS = ("dimension", "extension", "endpoint", "period", "page", "per_page", "sort", "facets")


def _read(args) -> tuple[Filters, str, dict]:
    """(filters, period, what was wrong, by parameter)."""
    filters, errors = read_query(parse_filters, Filters())
    period = args.get("period") or "year"
    if period not in PERIODS:
        errors["period"] = [_("Unknown value: %(value)s. Choose by year or by month.", value=period[:20])]
        period = "year"
    return filters, period, errors


def _choices(filters: Filters, language: str) -> dict[str, list[tuple]]:
    """What each box of the filter form (``query_filters`` in ``_macros.html``) offers, as (value,
    label): the values found under the other filters, facilities by name."""
    facets = search_published(Filters(**{**filters.__dict__, "per_page": 1, "facets": FORM_FACETS}),
                              language, actor()).facets
    choices = {name: [(entry["value"], entry["label"]) for entry in facets[name]] for name in FORM_FACETS}
    choices["facility"].sort(key=lambda pair: pair[1].casefold())
    return choices


# Each parameter as the filter form names it, so that an error says which field in the reader's words.
FIELD_LABELS = {"q": _l("Words"), "facility": _l("Facility"), "region": _l("Region"), "abuse": _l("Abuse type"),
                "perpetrator": _l("Perpetrator type"), "verification": _l("Verification status"),
                "date_from": _l("From"), "date_to": _l("To"), "period": _l("Time series")}


def _refused(errors: dict):
    """A clear 400: what was wrong with which field, nothing counted."""
    message = _("Please correct the filters.") + " " + "; ".join(
        f"{FIELD_LABELS.get(name, name)}: {' '.join(problems)}" for name, problems in errors.items())
    return render_template("errors/error.html", code=400, message=message), 400


def title_of(dimension: str, period: str) -> str:
    return str(TITLES[(dimension, period)] if dimension == "time" else TITLES[dimension])


def chart_svg(rows, title) -> Markup:
    """A bar chart for a page (the facility's page uses it too)."""
    # Every text in it passed through xml.sax.saxutils.escape (bars.svg).
    return Markup(bars.svg(bars.layout(rows, str(title), str(get_locale()))))  # noqa: S704


def statistics():
    """Counts of published incidents under the list's filters, per period and by each dimension,
    each with its table and downloads (everyone: only published incidents are counted)."""
    filters, period, errors = _read(request.args)
    language = i18n.language()
    stats = statistics_of(filters, language, actor(), period)
    query = link_args(*NOT_FILTERS)
    charts = [(title_of(name, period), stats[name],
               {extension.upper(): url_for("public.statistics_download", dimension=name, extension=extension,
                                           period=period, **query) for extension in FORMATS})
              for name in DIMENSIONS]
    return render_template("public/statistics.html", stats=stats, charts=charts, filters=filters, errors=errors,
                           choices=_choices(filters, language), period=period, query=query), 400 if errors else 200


def statistics_download(dimension: str, extension: str):
    """One chart as CSV (value, label, count), SVG or PNG, under the same filters as the page."""
    dimension = ALIASES.get(dimension, dimension)
    filters, period, errors = _read(request.args)
    if dimension not in DIMENSIONS:
        errors["dimension"] = [_("Unknown value: %(value)s.", value=dimension[:30])]
    if errors:
        return _refused(errors)
    rows = statistics_of(filters, i18n.language(), actor(), period)[dimension]
    title = title_of(dimension, period)
    if extension == "csv":
        body: str | bytes = "\ufeffvalue,label,count\r\n" + "".join(
            csv_text(row) + "\r\n" for row in rows)
    elif extension == "svg":
        body = bars.svg(bars.layout(rows, title, str(get_locale()), with_title=True), standalone=True)
    else:
        body = bars.png(bars.layout(rows, title, str(get_locale()), with_title=True))
    name = f"incidents-{FILE_NAMES[dimension].format(period=period)}-{datetime.date.today().isoformat()}.{extension}"
    response = Response(body, content_type=FORMATS[extension])
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


def statistics_csv():
    """The older address of a chart's CSV (``?dimension=year``): kept for links people saved."""
    return statistics_download(request.args.get("dimension", "time"), "csv")


def incident_map():
    """Facilities with published incidents as points sized by their count, over the regions; each
    point opens its facility, each region the list filtered by it. Same filters as the list."""
    filters, _period, errors = _read(request.args)
    errors.pop("period", None)
    language = i18n.language()
    found = places(filters, language, actor())
    query = link_args(*NOT_FILTERS)
    others = {k: v for k, v in query.items() if k != "region"}  # a region's link chooses its own
    areas = {code: maps.Area(url_for("public.incident_list", region=code, **others),
                             _("%(region)s, published incidents: %(num)s", region=geo.region_name(code, language),
                               num=i18n.format_count(count)), count)
             for code, count in found["regions"].items()}
    points = [maps.Point(url_for("public.facility_detail", facility_id=key),
                         _("%(facility)s, published incidents: %(num)s", facility=name, num=i18n.format_count(count)),
                         lat, lon, count)
              for key, name, lat, lon, count in found["facilities"] if lat is not None and lon is not None]
    drawing = Markup(maps.svg(  # noqa: S704 (every text and link in it is escaped by maps.svg)
        _("Map of facilities and regions with published incidents"), areas, points,
        lambda code: geo.region_name(code, language)))
    return render_template("public/map.html", drawing=drawing, found=found, filters=filters, errors=errors,
                           choices=_choices(filters, language), query=query), 400 if errors else 200
