"""Who is told what about an incident, and what they have read.

The ``for_*`` functions write notifications inside the caller's transaction and return them; the
caller hands them to ``mail.send`` once that transaction has committed, so that no e-mail speaks
of a change that was rolled back. Every recipient is checked against the policy: nobody is told
about an incident they may not read, and nobody about their own act.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incidents import policy
from incidents.db import database
from incidents.errors import NotFound
from incidents.models import Comment, Incident, Notification, ReviewEvent, User, utcnow
from incidents.notifications import mail

# A page of notifications: the newest, and no more than a person could read.
PAGE = 100


def _notify(recipients, kind: str, incident: Incident, *, actor=None, other: Incident | None = None,
            comment: Comment | None = None, allowed=policy.may_read_incident) -> list[Notification]:
    created, seen = [], set()
    for user in recipients:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id) or not user.active:
            continue
        seen.add(user.id)
        if not allowed(user, incident) or (other is not None and not policy.may_read_incident(user, other)):
            continue
        created.append(Notification.create(recipient=user, kind=kind, incident=incident, other=other,
                                           comment=comment))
    return created


def for_transition(incident: Incident, action: str, actor) -> list[Notification]:
    """Returned to its author (changes requested, or rejected); submitted, to each reviewer who
    may review it (never one whose own work it is)."""
    if action in ("request_changes", "reject"):
        return _notify([incident.created_by], "returned", incident, actor=actor, allowed=policy.can_converse)
    if action == "submit":
        reviewers = User.select().where(User.role.in_(sorted(policy.REVIEWERS)) & User.active)
        return _notify(reviewers.order_by(User.id), "submitted", incident, actor=actor,
                       allowed=policy.can_review)
    return []


def participants(incident: Incident) -> list[User]:
    """Who takes part in an incident's conversation: its author, whoever commented on it, and
    the reviewers who acted on it."""
    commenters = User.select().join(Comment, on=(Comment.author == User.id)).where(Comment.incident == incident)
    reviewers = User.select().join(ReviewEvent, on=(ReviewEvent.actor == User.id)).where(
        ReviewEvent.incident == incident)
    return [incident.created_by, *commenters.distinct(), *reviewers.distinct()]


def for_comment(comment: Comment) -> list[Notification]:
    """A new comment: to everyone who takes part and may still read the conversation."""
    return _notify(participants(comment.incident), "comment", comment.incident, actor=comment.author,
                   comment=comment, allowed=policy.can_converse)


def possible_duplicate(incident: Incident, of_incident: Incident) -> list[Notification]:
    """``incident`` may be a duplicate of ``of_incident``: its author is told, if they may read
    both (else the notice itself would reveal an incident to them), once while unread. Writes
    in its own transaction and e-mails after it: call it outside any transaction of yours."""
    with database.atomic():
        # As they are now, whatever the caller's copies say (ids are taken too).
        incident, of_incident = (Incident.get_by_id(getattr(i, "id", i)) for i in (incident, of_incident))
        author = of_incident.created_by
        pending = Notification.select().where(
            (Notification.recipient == author) & (Notification.kind == "duplicate")
            & (Notification.incident == of_incident) & (Notification.other == incident)
            & Notification.read_at.is_null()).exists()
        created = [] if pending or incident.id == of_incident.id else \
            _notify([author], "duplicate", of_incident, other=incident)
    mail.send(created)
    return created


def _readable(user, notifications) -> list[Notification]:
    """Only those about incidents the person may read today (a role can change after the fact)."""
    return [n for n in notifications if policy.may_read_incident(user, n.incident)
            and (n.other is None or policy.may_read_incident(user, n.other))]


def listing(user) -> list[Notification]:
    """A person's notifications, newest first."""
    rows = (Notification.select(Notification, Incident).join(Incident, on=(Notification.incident == Incident.id))
            .where(Notification.recipient == user.id).order_by(Notification.id.desc()).limit(PAGE))
    return _readable(user, rows)


def unread_count(user) -> int:
    if not policy.is_signed_in(user):
        return 0
    return len(_readable(user, Notification.select().where(
        (Notification.recipient == user.id) & Notification.read_at.is_null())))


def mark_read(user, notification_id: int) -> None:
    """:raise NotFound: not a notification of this person."""
    notification = Notification.get_or_none((Notification.id == notification_id)
                                            & (Notification.recipient == user.id))
    if notification is None:
        raise NotFound(_l("No such notification."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        notification.save(only=[Notification.read_at])


def mark_all_read(user) -> int:
    return (Notification.update(read_at=utcnow())
            .where((Notification.recipient == user.id) & Notification.read_at.is_null()).execute())


def set_email(user, wanted: bool) -> None:
    user.email_notifications = wanted
    user.save(only=[User.email_notifications])
