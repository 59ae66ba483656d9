"""Comments on an incident: who may read and write them is ``policy.can_converse``; what a body may
hold is checked here; each new one notifies the others taking part (``notifications``).

A reviewer's request for changes (or rejection, or retraction) enters the conversation as a
comment of its own (``from_review``), so the author answers it where they answer anyone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from incidents import audit, policy
from incidents.db import database
from incidents.errors import NotFound, ValidationFailed
from incidents.models import Comment, Incident, ReviewEvent, User
from incidents.notifications import mail
from incidents.notifications import service as notifications
from incidents.validation import Errors, clean_text

MAX_LENGTH = 5000


@dataclass
class Thread:
    """A comment that starts a thread and every answer under it, oldest first."""

    root: Comment
    replies: list[Comment] = field(default_factory=list)

    @property
    def action(self) -> str | None:
        """The review action that started it ("request_changes", ...), or None."""
        return self.root.review_event.action if self.root.review_event_id else None


@dataclass
class Conversation:
    incident: Incident
    threads: list[Thread]

    @property
    def request(self) -> Thread | None:
        """The reviewer's request for changes the author is answering now: the last one, while
        the incident is back in draft."""
        if self.incident.status != "draft":
            return None
        asked = [thread for thread in self.threads if thread.action == "request_changes"]
        return asked[-1] if asked else None

    def as_json(self) -> list[dict]:
        return [comment_json(comment) for thread in self.threads for comment in (thread.root, *thread.replies)]


def comment_json(comment: Comment) -> dict:
    return {"id": comment.id, "parent": comment.parent_id, "author": comment.author.name or comment.author.email,
            "author_id": comment.author_id, "body": comment.body,
            "review_action": comment.review_event.action if comment.review_event_id else None,
            "created_at": comment.created_at.isoformat(timespec="seconds") + "Z"}


def _readable_incident(user, incident_id) -> Incident:
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or not policy.can_converse(user, incident):
        raise NotFound(_l("No such incident."))
    return incident


def conversation(user, incident_id: int) -> Conversation:
    """:raise NotFound: no such incident, or not one whose conversation this user takes part in."""
    incident = _readable_incident(user, incident_id)
    rows = (Comment.select(Comment, User, ReviewEvent).join(User, on=(Comment.author == User.id))
            .switch(Comment).join(ReviewEvent, join_type=JOIN.LEFT_OUTER, on=(Comment.review_event == ReviewEvent.id))
            .where(Comment.incident == incident).order_by(Comment.id))
    threads: dict[int, Thread] = {}
    root_of: dict[int, int] = {}
    for comment in rows:
        root = root_of.get(comment.parent_id) if comment.parent_id else None
        if root is None:
            threads[comment.id] = Thread(comment)
            root_of[comment.id] = comment.id
        else:
            threads[root].replies.append(comment)
            root_of[comment.id] = root
    return Conversation(incident, list(threads.values()))


def conversation_or_none(user, incident: Incident | None) -> Conversation | None:
    """For a page: the conversation if this reader takes part in it, else None."""
    if incident is None or not policy.can_converse(user, incident):
        return None
    return conversation(user, incident.id)


def clean_body(body) -> str:
    """The body as every text is cleaned (``validation.clean_text``), required and multiline.

    :raise ValidationFailed: not text, empty, too long, or with control characters; its message
    is the body's first problem, for a page to show as it is.
    """
    errors = Errors()
    body = clean_text(body, "body", errors, required=True, max_length=MAX_LENGTH, multiline=True)
    if errors:
        raise ValidationFailed(errors["body"][0], dict(errors))
    return body


def _parent(incident: Incident, parent_id) -> Comment | None:
    if parent_id in (None, ""):
        return None
    if isinstance(parent_id, bool) or not (isinstance(parent_id, int) or (isinstance(parent_id, str)
                                                                         and parent_id.isdecimal()
                                                                         and len(parent_id) < 11)):
        raise ValidationFailed(_l("No such comment to answer."), {"parent": [_l("No such comment to answer.")]})
    parent = Comment.get_or_none((Comment.id == int(parent_id)) & (Comment.incident == incident))
    if parent is None:
        raise ValidationFailed(_l("No such comment to answer."), {"parent": [_l("No such comment to answer.")]})
    return parent


def post(user, incident_id: int, body, parent_id=None) -> Comment:
    """A comment, or the answer to ``parent_id``; saved on its own, then e-mailed about.

    :raise NotFound: an incident whose conversation this user takes no part in.
    :raise ValidationFailed: a body that is not one, or a parent that is not on this incident.
    """
    body = clean_body(body)
    with database.atomic():
        incident = _readable_incident(user, incident_id)
        comment = Comment.create(incident=incident, author=user, parent=_parent(incident, parent_id), body=body)
        # The audit trail says that a comment was made, never what it says.
        audit.record(user, "comment.create", incident, comment=comment.id, parent=comment.parent_id)
        created = notifications.for_comment(comment)
    mail.send(created)
    return comment


def from_review(event: ReviewEvent) -> Comment | None:
    """The comment a review action carried, as the start of a thread (inside its transaction)."""
    if not event.comment:
        return None
    return Comment.create(incident=event.incident, author=event.actor, review_event=event, body=event.comment,
                          created_at=event.created_at)
