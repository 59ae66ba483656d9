"""What templates get: translations, the reader's language, vocabularies and a few helpers."""
from __future__ import annotations

from flask_babel import Babel, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from incidents import geo, i18n, policy, vocab, workflow
from incidents.comments import service as comments
from incidents.config import LANGUAGES
from incidents.models import Facility
from incidents.notifications import service as notifications
from incidents.public import statistics as charts


def _plain_lazy_strings(value):
    """Jinja's finalize hook: a lazy translation becomes plain text before autoescaping.

    Flask-Babel's LazyString declares itself safe HTML (``__html__``), so a message such as
    "Unknown value: %(value)s." would otherwise carry the visitor's own markup into the page.
    """
    return str(value) if isinstance(value, LazyString) else value


def init_templates(app) -> None:
    app.jinja_env.finalize = _plain_lazy_strings
    Babel(app, locale_selector=i18n.select_locale)
    app.jinja_env.filters["numberformat"] = i18n.format_count  # Flask-Babel's, written quicker
    app.jinja_env.globals["ngettext"] = _ngettext

    @app.context_processor
    def template_helpers():
        lang = i18n.language()
        return {
            "policy": policy,
            "vocab": vocab,
            "geo": geo,
            "lang": lang,
            "LANGUAGES": LANGUAGES,
            "pick_text": i18n.pick_text,
            "version_note": i18n.version_note,
            "with_original": i18n.with_original,
            "language_name": i18n.language_name,
            "format_incident_date": i18n.format_incident_date,
            "format_known_date": i18n.format_known_date,
            "format_size": i18n.format_size,
            "size_units": i18n.size_units,
            "media_kind": i18n.media_kind,
            "review_queue_count": _review_queue_count,
            "unread_notifications": lambda: notifications.unread_count(current_user),
            "conversation_of": lambda incident: comments.conversation_or_none(current_user, incident),
            "field_label": lambda name: vocab.FIELD_LABELS.get(name, name),
            "facility_name": lambda facility: facility.name_in(lang),
            "facility_name_by_id": _facility_name_by_id,
            "chart_svg": charts.chart_svg,
            "format_coordinates": i18n.format_coordinates,
        }


@pass_context
def _ngettext(context, singular: str, plural: str, count, /, **variables) -> str:
    """Jinja's ``ngettext``, with the count written as the reader's language writes numbers: "811 754
    incidents found", not "811754" (Flask-Babel's puts the bare number in)."""
    variables.setdefault("num", i18n.format_count(count) if type(count) is int else count)
    text = get_translations().ungettext(singular, plural, count)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalog's own text, as Jinja's ngettext takes it; what is put in is escaped
    return text % variables


def _review_queue_count() -> int:
    return workflow.queue_count() if policy.can_see_review_queue(current_user) else 0


def _facility_name_by_id(facility_id) -> str:
    """The name of the facility with this id (as a revision keeps it), or "" when there is none.

    Only staff pages show revisions, and staff see every facility."""
    facility = Facility.get_or_none(Facility.id == facility_id) if isinstance(facility_id, int) else None
    return facility.name_in(i18n.language()) if facility else ""
