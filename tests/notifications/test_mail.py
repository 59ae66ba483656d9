"""E-mail about notifications, against a real SMTP server on 127.0.0.1 (aiosmtpd): sent after the
change, in the recipient's language, saying only the kind and the reference with a link; never when
the person turned e-mails off; a server that is down never breaks the action (issue 14, point 6)."""
from __future__ import annotations

import email
import socket
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from incidents.comments import service as comments
from incidents.jobs import service as jobs
from incidents.models import Incident, Job, Notification, User
from incidents.notifications import service as notifications
from tests.factories import make_incident, move, publish
from tests.helpers import translated

SECRET = "Свидетель Иван Петров"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox():
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def settings(settings, inbox):
    return dict(settings, SMTP_HOST="127.0.0.1", SMTP_PORT=inbox.port, SMTP_TLS="none",
                SMTP_FROM="register@example.org", PUBLIC_URL="https://register.example.org")


@pytest.fixture(autouse=True)
def in_app(app):
    """Services send mail from within the app, as a request or a command runs them."""
    with app.app_context():
        yield


def returned_to(users, incident, comment=SECRET):
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "request_changes", comment=comment)


def test_returned_mail_says_only_the_kind_and_reference_in_the_readers_language(app, users, incident, inbox):
    """Does the author get one e-mail in Russian with the reference and a link, and not the comment, title or names?"""
    User.update(locale="ru").where(User.id == users["contributor"].id).execute()
    returned_to(users, incident)
    mails = [(to, message) for to, message in inbox.messages if to == [users["contributor"].email]]
    assert len(mails) == 1
    message = mails[0][1]
    reference = Incident.get_by_id(incident.id).reference
    expected = translated(app, "Returned to you: %(reference)s") % {"reference": reference}
    assert message["Subject"] == expected and "Возвращ" in expected
    text = message.get_content()
    assert f"https://register.example.org/incidents/{incident.id}" in text
    title = Incident.get_by_id(incident.id).title
    for secret in (SECRET, "Петров", *title.values(), users["reviewer"].name, users["reviewer"].email):
        assert secret not in text and secret not in message["Subject"]


def test_reviewers_are_mailed_of_a_submission_in_their_language(app, users, incident, inbox):
    """Is each reviewer who may review it mailed once, in English by default and in Ukrainian when chosen?"""
    User.update(locale="uk").where(User.id == users["reviewer2"].id).execute()
    move(incident, users["contributor"], "submit")
    subjects = {to[0]: message["Subject"] for to, message in inbox.messages}
    assert set(subjects) == {users[role].email for role in ("reviewer", "reviewer2", "admin")}
    assert subjects[users["reviewer"].email].startswith("Submitted for your review")
    assert subjects[users["reviewer2"].email] == \
        translated(app, "Submitted for your review: %(reference)s", "uk") % {"reference": incident.reference}


def test_no_mail_for_who_turned_it_off(users, incident, inbox):
    """Is a person who turned e-mails off told in the app only?"""
    notifications.set_email(users["contributor"], False)
    returned_to(users, incident)
    assert users["contributor"].email not in [to[0] for to, _m in inbox.messages]
    assert notifications.unread_count(users["contributor"]) == 1


def test_comment_and_duplicate_mails(users, facility, incident, inbox):
    """Are a new comment and a possible duplicate mailed without the comment's text?"""
    returned_to(users, incident)
    inbox.messages.clear()
    comments.post(users["contributor"], incident.id, "Ответ: " + SECRET)
    assert [to for to, _m in inbox.messages] == [[users["reviewer"].email]]
    assert SECRET not in inbox.messages[0][1].as_string()
    inbox.messages.clear()
    other = make_incident(users["reviewer"], facility)
    publish(other, users["reviewer"], users["reviewer2"])
    inbox.messages.clear()
    notifications.possible_duplicate(other, incident)
    assert [to for to, _m in inbox.messages] == [[users["contributor"].email]]


def test_a_server_that_is_down_never_breaks_the_action(app, users, incident, inbox, caplog):
    """With the mail server gone, is the incident still returned, the notification kept, the failure
    logged, and the e-mail sent by the job's next attempt once the server is back?"""
    working = app.config["SETTINGS"]
    app.config["SETTINGS"] = type(working)(**{**working.__dict__, "SMTP_PORT": free_port(), "SMTP_TIMEOUT": 2})
    returned_to(users, incident)
    assert Incident.get_by_id(incident.id).status == "draft"
    returned = Notification.get(Notification.kind == "returned")
    assert "failed" in caplog.text and "ConnectionRefusedError" in caplog.text
    assert inbox.messages == []
    job = Job.get((Job.kind == "mail") & (Job.arguments == {"notification": returned.id}))
    assert (job.state, job.attempts) == ("queued", 1) and "ConnectionRefusedError" in job.error
    app.config["SETTINGS"] = working
    jobs.run(job.id)
    assert Job.get_by_id(job.id).state == "done"
    assert [to for to, _message in inbox.messages] == [[returned.recipient.email]]
