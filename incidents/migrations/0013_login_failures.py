"""Failed sign-ins, counted to slow down password guessing."""
from incidents.models import LoginFailure


def up(migrator, db):
    # 0001 builds every current table, so on a fresh database this one exists already.
    db.create_tables([LoginFailure], safe=True)
