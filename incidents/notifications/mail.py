"""E-mail about notifications, when the installation configures SMTP (INCIDENTS_SMTP_*), sent by
the worker as one job per notification: nobody waits for the mail server, and a server that is down
gets the e-mail again later (``jobs/service.py``).

An e-mail may sit in a mailbox someone else reads, or be seized: it says only the kind of event
and the incident's reference, with a link, in the recipient's language. Never a narrative, a name
or a comment's text: the person signs in to read those.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from incidents.config import LANGUAGES
from incidents.jobs.service import Outcome, submit
from incidents.models import Notification

# What each kind of notification says, on the page and as an e-mail's subject.
SUBJECTS = {
    "returned": _l("Returned to you: %(reference)s"),
    "submitted": _l("Submitted for your review: %(reference)s"),
    "comment": _l("A new comment on %(reference)s"),
    "duplicate": _l("A possible duplicate of your incident %(reference)s"),
}


def describe(notification) -> str:
    """The notification in the current language: its kind and its incident's reference."""
    return str(SUBJECTS[notification.kind]) % {"reference": reference_of(notification.incident)}


def reference_of(incident) -> str:
    return incident.reference or f"#{incident.id}"


def compose(notification, settings) -> EmailMessage | None:
    """The e-mail for one notification, or None when its recipient gets none."""
    recipient = notification.recipient
    if not recipient.email_notifications or not recipient.active:
        return None
    language = recipient.locale if recipient.locale in LANGUAGES else "en"
    incident = notification.incident
    link = f"{settings.PUBLIC_URL.rstrip('/')}/incidents/{incident.id}"
    with force_locale(language):
        subject = describe(notification)
        text = "\n\n".join((subject, link, gettext(
            "Sign in to read more. You can turn these e-mails off on your account page.")))
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, settings.SMTP_FROM, recipient.email
    # The same for every attempt: were the worker to stop between the server's "accepted" and the
    # job's end, the e-mail sent again is recognisably the same one.
    host = settings.PUBLIC_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    message["Message-ID"] = f"<notification-{notification.id}@{host}>"
    message.set_content(text)
    return message


def send(notifications) -> None:
    """E-mail these notifications, as jobs, once the transaction that wrote them committed."""
    if not notifications or not has_app_context() or not current_app.config["SETTINGS"].SMTP_HOST:
        return
    for notification in notifications:
        submit("mail", {"notification": notification.id})


def mail_job(job) -> Outcome:
    """The job: one notification's e-mail, if its recipient still wants e-mail. A failure raises,
    and the job is tried again later."""
    notification = Notification.get_or_none(Notification.id == job.arguments["notification"])
    settings = current_app.config["SETTINGS"]
    message = compose(notification, settings) if notification is not None and settings.SMTP_HOST else None
    if message is not None:
        deliver(message, settings)
    return Outcome({"sent": message is not None})


def deliver(message: EmailMessage, settings) -> None:
    """Hand one message to the SMTP server: the one place mail leaves the app. A short timeout."""
    secure = settings.SMTP_TLS.lower()
    client = smtplib.SMTP_SSL if secure == "ssl" else smtplib.SMTP
    options = {"context": ssl.create_default_context()} if secure == "ssl" else {}
    with client(settings.SMTP_HOST, settings.SMTP_PORT, timeout=settings.SMTP_TIMEOUT, **options) as smtp:
        if secure == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.SMTP_USER:
            smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD)
        smtp.send_message(message)
