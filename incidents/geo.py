"""Countries and regions as ISO 3166 codes, named in the reader's language.

Names come from pycountry's catalogs, except where ``vocabularies/regions.json`` gives the
names people actually use (pycountry has no Russian for most Russian regions, and its English
names are romanisations: "Saratovskaya oblast'" rather than "Saratov Oblast").
"""
from __future__ import annotations

import gettext
import json
import os
from functools import cache

import pycountry

REGION_NAMES_FILE = os.path.join(os.path.dirname(__file__), "vocabularies", "regions.json")


@cache
def _translator(domain: str, language: str):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@cache
def _region_overrides() -> dict:
    with open(REGION_NAMES_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def country_name(code: str, language: str) -> str:
    country = pycountry.countries.get(alpha_2=code or "")
    if country is None:
        return code or ""
    translated = _translator("iso3166-1", language).gettext(country.name)
    if language == "en" or translated == country.name:
        return getattr(country, "common_name", None) or translated
    return translated


def region_name(code: str | None, language: str) -> str:
    if not code:
        return ""
    override = _region_overrides().get(code, {}).get(language)
    if override:
        return override
    region = pycountry.subdivisions.get(code=code)
    if region is None:
        return code
    return _translator("iso3166-2", language).gettext(region.name)


def is_country(code: str) -> bool:
    return bool(code) and pycountry.countries.get(alpha_2=code) is not None


def is_region_of(code: str, country: str) -> bool:
    region = pycountry.subdivisions.get(code=code or "")
    return region is not None and region.country_code == country


@cache
def _country_codes() -> tuple[str, ...]:
    return tuple(c.alpha_2 for c in pycountry.countries)


def country_choices(language: str) -> list[tuple[str, str]]:
    return sorted(((c, country_name(c, language)) for c in _country_codes()), key=lambda p: p[1])


def region_choices(country: str, language: str) -> list[tuple[str, str]]:
    """Subdivisions of ``country`` sorted by their name in ``language``."""
    if not is_country(country):
        return []
    regions = pycountry.subdivisions.get(country_code=country) or []
    return sorted(((r.code, region_name(r.code, language)) for r in regions), key=lambda p: p[1])
