"""Issue 17, point 4: the organisation that submits the dossiers (models/organisation.py)."""
from peewee import BlobField, CharField, DateTimeField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _OrganisationProfile(Frozen):
    names = TextField()
    address = TextField()
    email = CharField(max_length=254)
    phone = CharField(max_length=40)
    website = TextField()
    consent = TextField()
    logo = BlobField(null=True)
    updated_at = DateTimeField()
    updated_by = foreign_key("user", null=True, on_delete="SET NULL")

    class Meta:
        table_name = "organisation_profile"


def up(migrator, db):
    create_tables(db, _OrganisationProfile)
