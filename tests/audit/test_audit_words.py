"""The audit trail, media types, languages and dates in the reader's words, the stable codes kept."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from incidents import i18n
from incidents.admin import service as admin
from incidents.models import AuditEvent, Incident
from incidents.records import service
from incidents.revisions import snapshot
from tests.factories import make_facility, make_incident, publish


def test_the_audit_trail_speaks_russian_and_keeps_the_codes(app, users, as_role):
    """Does an administrator reading the audit trail in Russian read what was done, to what and how
    (a role changed from one to another, an incident moved from review to published) in sentences,
    with the stable code still beside the words and unchanged in the data?"""
    admin.change_role(users["admin"], users["researcher"], "lawyer")
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    publish(incident, users["contributor"], users["reviewer"])
    page = as_role("admin").get("/admin/audit?lang=ru").get_data(as_text=True)
    assert "Изменил(а) роль учётной записи" in page and "Роль: Исследователь → Юрист" in page
    assert "Одобрил(а) и опубликовал(а) инцидент" in page and "Статус: На проверке → Опубликован" in page
    assert f"инцидент № {incident.id}" in page and "user.change_role" in page  # the code, shown as code
    table = page.split('<table class="list audit', 1)[1]
    assert "from_status=" not in table and "incident " + str(incident.id) not in table
    stored = AuditEvent.get(AuditEvent.action == "user.change_role")
    assert stored.detail == {"old": "researcher", "new": "lawyer"}


def test_the_audit_filter_offers_actions_by_their_words(app, users, as_role):
    """Does the audit trail's filter list actions and objects in Ukrainian, and still filter by code?"""
    admin.change_role(users["admin"], users["researcher"], "lawyer")
    page = as_role("admin").get("/admin/audit?lang=uk&action=user.change_role&object_type=user")
    text = page.get_data(as_text=True)
    assert '<option value="user.change_role" selected>Змінив(ла) роль облікового запису</option>' in text
    assert '<option value="user" selected>Облікові записи</option>' in text
    table = text.split('<table class="list audit', 1)[1]
    assert "Змінив(ла) роль" in table and "Увійшов(ла) в систему" not in table  # sign-ins filtered out


@pytest.mark.parametrize(("media_type", "ru", "uk"), [
    ("video/mp4", "видео (MP4)", "відео (MP4)"),
    ("image/jpeg", "изображение (JPEG)", "зображення (JPEG)"),
    ("video/quicktime", "видео (MOV)", "відео (MOV)"),
    ("application/octet-stream", "файл", "файл"),
    ("application/pdf", "документ (PDF)", "документ (PDF)"),
    ("", "файл", "файл"),
])
def test_media_types_are_named_as_kinds(app, media_type, ru, uk):
    """Is a MIME type shown as the kind of file a reader knows, in their language?"""
    for lang, expected in (("ru", ru), ("uk", uk)):
        with app.test_request_context(), force_locale(lang):
            assert i18n.media_kind(media_type) == expected


def test_the_history_shows_dates_and_languages_in_the_readers_words(app, users, as_role):
    """Does the history of an incident, in Ukrainian, show a changed date as people write it and the
    original language by its name, not "2021-04-15" and "ru"?"""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]),
                             date_start="2021-04-15", date_precision="day")
    data = snapshot(Incident.get_by_id(incident.id))
    data.update(date_start="2021-05-20", original_language="uk", title={"uk": "Катування в лікарні", **data["title"]},
                narrative={"uk": "В'язня прив'язали до ліжка.", **data["narrative"]})
    service.update_incident(incident.id, data, users["contributor"], version=incident.version, max_text=20_000)
    page = as_role("contributor").get(f"/incidents/{incident.id}/history?lang=uk").get_data(as_text=True)
    assert "15 квітня 2021" in page and "20 травня 2021" in page and "2021-05-20" not in page
    assert "російська" in page and "українська" in page


def test_a_change_of_the_organisation_profile_reads_as_words(app, users, as_role):
    """Does the audit trail tell a Ukrainian administrator which of the organisation's fields changed,
    from what to what, with no field code or language code in English?"""
    from tests.admin.test_organisation import post_profile
    admin_browser = as_role("admin")
    post_profile(admin_browser)
    post_profile(admin_browser, phone="+49 30 7654321")
    page = admin_browser.get("/admin/audit?lang=uk&action=organisation.update").get_data(as_text=True)
    table = page.split('<table class="list audit', 1)[1]
    assert "Змінив(ла) профіль організації" in table and "профіль організації" in table
    assert "Телефон: +49 30 1234567 → +49 30 7654321" in table
    assert "англійська: " in table  # the names in each language, by the language's name
    assert "names" not in table and "phone" not in table and "'en'" not in table
