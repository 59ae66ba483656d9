"""What a reviewer sees changed: every field, each person attribute by attribute, long texts word by word."""
from __future__ import annotations

import re

from incidents import policy
from incidents.models import Incident
from incidents.records import service
from incidents.revisions import snapshot
from tests.factories import MAX_TEXT, make_incident, publish


def _save(incident_id, user, change) -> None:
    current = Incident.get_by_id(incident_id)
    data = snapshot(current)
    change(data)
    service.update_incident(incident_id, data, user, version=current.version, max_text=MAX_TEXT)


def _rows(html: str) -> list[str]:
    """The diff table's rows, tags stripped, spaces squeezed."""
    table = html[html.index('<table class="diff">'):]
    table = table[:table.index("</table>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr.*?</tr>", table, re.S)]


def _published_with(users, facility, change):
    incident = make_incident(users["contributor"], facility)
    publish(incident, users["contributor"], users["reviewer"])
    _save(incident.id, users["contributor"], change)
    return incident


def test_a_sex_change_shows_both_labels_on_one_row(users, facility, as_role):
    """Does a victim's sex changed from male to unknown show as one row with both labels in the
    reader's language, not as two identical rows?"""
    incident = _published_with(users, facility, lambda data: data["persons"][0].update(sex="unknown"))
    rows = _rows(as_role("reviewer").get(f"/incidents/{incident.id}?lang=ru").get_data(as_text=True))
    assert "Пол Мужской Неизвестен" in rows
    assert "Изменено: Пострадавший «Prisoner S.»" in rows
    assert not any("Prisoner S." in row and "Пол" not in row and "Изменено" not in row for row in rows)


def test_a_narrative_change_highlights_only_the_changed_words(users, facility, as_role):
    """Does a narrative change mark only the words that changed, deleted and inserted, and escape them?"""
    def change(data):
        data["narrative"]["en"] = "A prisoner was chained to a <b>bed</b>."
    incident = _published_with(users, facility, change)
    page = as_role("reviewer").get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert re.findall(r"<del>(.*?)</del>", page) == ["tied"]
    assert re.findall(r"<ins>(.*?)</ins>", page) == ["chained", "&lt;b&gt;", "&lt;/b&gt;"]
    assert "A prisoner was <del>tied</del>" in page and "<b>bed</b>" not in page


def test_people_added_removed_and_changed_attribute_by_attribute(users, facility, as_role):
    """Is each person added, removed or changed shown with each attribute that differs, from what to what?"""
    incident = make_incident(users["contributor"], facility, persons=[
        {"role": "victim", "pseudonym": "Prisoner S.", "sex": "male", "age": 35, "consent": "anonymised"},
        {"role": "witness", "pseudonym": "Cellmate K.", "sex": "male", "consent": "none"}])
    publish(incident, users["contributor"], users["reviewer"])

    def change(data):
        data["persons"][0].update(age=36, pseudonym="Prisoner S. (35)")
        data["persons"][1:] = [{"role": "informant", "pseudonym": "Nurse A.", "sex": "female", "age": None,
                                "consent": "none", "legal_name": "", "contact": "", "citizenship": None}]
    _save(incident.id, users["contributor"], change)
    rows = _rows(as_role("reviewer").get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True))
    changed = rows.index("Changed: Victim «Prisoner S. (35)»")
    assert rows[changed + 1:changed + 3] == ["Public pseudonym Prisoner S. Prisoner S. (35)", "Age at the time 35 36"]
    added = rows.index("Added: Informant «Nurse A.»")
    assert rows[added + 1:added + 4] == ["Role — Informant", "Public pseudonym — Nurse A.", "Sex — Female"]
    removed = rows.index("Removed: Witness «Cellmate K.»")
    assert rows[removed + 1:removed + 3] == ["Role Witness —", "Public pseudonym Cellmate K. —"]


def test_every_field_of_the_incident_and_its_responses_and_links(users, facility, as_role):
    """Are changes to codes, dates, responses and links shown with vocabulary labels, not codes?"""
    def change(data):
        data["abuse"] = ["030502000000"]
        data["date_precision"] = "month"
        data["evidence"][0]["description"] = "Part of the archive, copy two"
        data["responses"] = [{"kind": "complaint", "date": "2021-03-01", "body": "Prosecutor", "description": "",
                              "confidential": False}]
    incident = _published_with(users, facility, change)
    page = as_role("reviewer").get(f"/incidents/{incident.id}?lang=ru").get_data(as_text=True)
    rows = _rows(page)
    assert "Точность даты Известен год Известен месяц" in rows
    assert "031701000000" not in page and "<del>" in page
    assert any(row.startswith("Добавлено: ") for row in rows)
    assert any("copy two" in row for row in rows)


def test_a_confidential_change_is_hidden_from_a_reader_who_may_not_see_it(users, facility, monkeypatch):
    """Does a reader who may not see confidential fields learn nothing of a changed legal name or contact?"""
    def change(data):
        data["persons"][0].update(legal_name="Петров Пётр Петрович", contact="secret@example.org", age=36)
        data["title"]["en"] = "Torture in the prison hospital"
    incident = _published_with(users, facility, change)
    incident = Incident.get_by_id(incident.id)
    _base, full = service.changes_for_review(incident, users["reviewer"])
    assert {a.name for c in full for r in c.rows for a in r.attributes} >= {"legal_name", "contact"}
    monkeypatch.setattr(policy, "can_read_confidential", lambda user, incident: False)
    _base, redacted = service.changes_for_review(incident, users["reviewer"])
    assert [change.name for change in redacted] == ["title"]  # the person's row shows nothing that changed
    shown = repr(redacted)
    assert "Петров" not in shown and "Иванов" not in shown and "secret@" not in shown and "+7 900" not in shown


def test_an_identity_only_the_earlier_revision_holds_is_a_read_on_record(users, facility, as_role):
    """When an edit removed a person's legal name, is the reviewer who reads it among the changes
    recorded in the audit trail, as any read of an identity is?"""
    from incidents.models import AuditEvent
    incident = _published_with(users, facility, lambda data: data["persons"][0].update(legal_name="", contact="", citizenship=None))
    reads = AuditEvent.select().where(AuditEvent.action == "incident.view_confidential")
    before = reads.count()
    page = as_role("reviewer").get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "Иванов Иван Иванович" in page and reads.count() == before + 1
