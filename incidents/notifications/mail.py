"""E-mail about notifications, when the installation configures SMTP (INCIDENTS_SMTP_*).

An e-mail may sit in a mailbox someone else reads, or be seized: it says only the kind of event
and the incident's reference, with a link, in the recipient's language. Never a narrative, a name
or a comment's text: the person signs in to read those.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from incidents.config import LANGUAGES

log = logging.getLogger(__name__)

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
    message.set_content(text)
    return message


def send(notifications) -> None:
    """E-mail these notifications, after the transaction that wrote them committed. Never raises."""
    if not notifications or not has_app_context():
        return
    settings = current_app.config["SETTINGS"]
    if not settings.SMTP_HOST:
        return
    deliver([message for message in (compose(n, settings) for n in notifications) if message], settings)


def deliver(messages: list[EmailMessage], settings) -> None:
    """Hand messages to the SMTP server: the one place mail leaves the app (a job queue can take
    this over). A short timeout; a failure is logged and never breaks the action that notified."""
    if not messages:
        return
    try:
        secure = settings.SMTP_TLS.lower()
        client = smtplib.SMTP_SSL if secure == "ssl" else smtplib.SMTP
        options = {"context": ssl.create_default_context()} if secure == "ssl" else {}
        with client(settings.SMTP_HOST, settings.SMTP_PORT, timeout=settings.SMTP_TIMEOUT, **options) as smtp:
            if secure == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.SMTP_USER:
                smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD)
            for message in messages:
                smtp.send_message(message)
    except Exception as exc:  # a mail server's trouble must never undo or refuse the action
        log.warning("notification e-mail not sent: %s: %s", type(exc).__name__, exc)
