"""Responses: what happened after an incident (ESF Intervention)."""
from incidents.models import Response


def up(migrator, db):
    # 0001 builds every current table, so on a fresh database this one exists already.
    db.create_tables([Response], safe=True)
