"""Identities encrypted at rest (see keys/encryption.py): what earlier versions kept in clear text is
encrypted with the current data key."""
from peewee import SqliteDatabase, TextField

# Live: values are sealed under today's data key in today's format, the only ones the
# application can open.
from incidents.keys.encryption import PREFIX, id_of, keyring
from incidents.migrations import Frozen, drop_indexes

BATCH = 500
# Every column encrypted from this step on: table -> (column, whether it may be NULL).
SEALED = {
    "user": (("totp_secret", True), ("totp_pending", True)),
    "person": (("legal_name", False), ("contact", False), ("citizenship", False)),
    "response": (("body", False), ("description", False)),
    "ingest_batch": (("root", False), ("source", False), ("note", False)),
    "evidence_item": (("url", False), ("description", False), ("original_filename", False), ("source", False),
                      ("original_location", False), ("captured_place", False)),
    "ingest_entry": (("path", False),),
    "custody_event": (("detail", False),),
    "revision": (("snapshot", False),),
}


def _seal(db, table: str, column: str) -> None:
    """Encrypt with the current key every value of the column not under it yet, clear text included."""
    model = type("_Sealed", (Frozen,), {column: TextField(null=True), "__module__": __name__,
                                        "Meta": type("Meta", (), {"table_name": table})})
    field, context, current = getattr(model, column), f"{table}.{column}", PREFIX + keyring.current_id
    last = 0
    with db.bind_ctx([model]):
        while True:
            rows = list(model.select(model.id, field).where(field.is_null(False) & (field != "") & (model.id > last))
                        .order_by(model.id).limit(BATCH).tuples())
            for key, value in rows:
                if not value.startswith(current):
                    plaintext = keyring.decrypt(value, context) if id_of(value) else value.encode("utf-8")
                    model.update({field: keyring.encrypt(plaintext, context)}).where(model.id == key).execute()
            if len(rows) < BATCH:
                break
            last = rows[-1][0]


def up(migrator, db):
    # Paths are encrypted now, each with its own nonce: a unique index on them means nothing.
    drop_indexes(migrator, "ingest_entry", "ingest_entry_batch_id_path")
    if not isinstance(db, SqliteDatabase):
        # Ciphertext outgrows VARCHAR(255) and VARCHAR(300); SQLite does not enforce declared lengths.
        migrator.migrate(*[migrator.alter_column_type(table, column, TextField(null=null))
                           for table, columns in SEALED.items() for column, null in columns])
    for table, columns in SEALED.items():
        for column, _null in columns:
            _seal(db, table, column)
