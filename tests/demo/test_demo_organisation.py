"""The demo's dossiers show what a real installation's do: the organisation as author in the
dossier's language, no notice that none is set, and the facility's town and authority in the
dossier's language (the demo's facilities keep them in all three)."""
from __future__ import annotations

import pyotp

from incidents.admin import organisation
from incidents.models import AuditEvent, PublishedIncident, User
from tests.records.test_texts_per_language import dossier


def test_the_demos_dossiers_name_its_organisation(app, client):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    profile = organisation.current()
    assert profile is not None and set(profile.names) == {"en", "ru", "uk"}
    assert AuditEvent.select().where(AuditEvent.action == "organisation.update").count() == 1
    lawyer = User.get(User.role == "lawyer")
    lawyer.totp_secret = pyotp.random_base32()  # as the demo lawyer would set it up on first sign-in
    lawyer.save()
    saratov = PublishedIncident.get(PublishedIncident.region == "RU-SAR")
    russian = dossier(client, lawyer, saratov.incident, "ru")
    assert "Центр документирования пыток в местах лишения свободы" in russian
    assert "не указано" not in russian.split("Дата")[0]  # "Кем составлено: не указано" when none is set
    assert "УФСИН России по Саратовской области" in russian and "Federal Penitentiary" not in russian
    assert "не переведены" not in russian  # "Сведения об учреждении не переведены..."
