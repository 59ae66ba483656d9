"""Identities encrypted at rest: a copied database file or backup gives up no confidential value,
and the data key can be rotated without losing any."""
from __future__ import annotations

import glob
import os
import shutil

import pyotp
import pytest
from peewee import fn

from incidents import create_app
from incidents.accounts import two_factor
from incidents.cli import key_rotation as data_keys
from incidents.db import database, migrate
from incidents.demo import load_demo
from incidents.evidence import ingest as archive
from incidents.evidence.store import EvidenceStore
from incidents.keys.encryption import PREFIX, DataKeyError, id_of, key_id, keyring
from incidents.models import (
    Comment,
    CustodyEvent,
    EvidenceItem,
    IngestBatch,
    Person,
    Response,
    Revision,
    User,
    sealed_fields,
)
from tests.helpers import TEST_DATABASE_URL

sqlite_only = pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="reads the SQLite file itself")
SOURCE = "Former FSIN medical orderly Sidorov, handed over in Vilnius"
OTHER_KEY = "fedcba9876543210" * 4


def raw_values(model, column) -> list:
    """What the column holds on disk, not decrypted."""
    return [value for (value,) in database.execute(model.select(column))]


@pytest.fixture
def demo(app, users, tmp_path):
    """The demo data set, an archive ingested with a named source and an enrolled authenticator."""
    load_demo(echo=lambda *_: None)
    folder = tmp_path / "handover"
    folder.mkdir()
    (folder / "Допрос Сидорова.txt").write_text("transcript")
    archive.ingest(str(folder), users["reviewer"], EvidenceStore.from_settings(app.config["SETTINGS"]),
                   provenance={"source": SOURCE, "note": "met at the border"})
    two_factor.pending_secret(users["researcher"])


def confidential_values() -> set[str]:
    """Every identity the demo and the fixture hold, read back through the models (decrypted)."""
    found = set()
    for person in Person.select():
        found |= {person.legal_name, person.contact}
    for item in EvidenceItem.select():
        found |= {item.source, item.original_filename} | ({item.description, item.url} if item.confidential else set())
        if item.confidential:
            found |= set((item.description_translations or {}).values())
    for response in Response.select().where(Response.confidential == True):  # noqa: E712 (SQL, not Python)
        # The demo's confidential complaint has versions in other languages: as secret as its original.
        found |= {response.description, response.body, *(response.body_translations or {}).values(),
                  *(response.description_translations or {}).values()}
    for batch in IngestBatch.select():
        found |= {batch.source, batch.note}
    for user in User.select():
        found |= {user.totp_secret or "", user.totp_pending or ""}
    return {value for value in found if value}


def test_every_value_of_an_encrypted_column_is_ciphertext_and_reads_back(app, demo):
    """Is every value of every encrypted column stored as ciphertext under the current data key, and does
    it read back through the models?"""
    values = confidential_values()
    assert SOURCE in values and "Допрос Сидорова.txt" in values
    assert sum(1 for value in values if any("а" <= ch <= "я" for ch in value)) >= 5, "the demo's Russian names"
    written = 0
    for model, column in sealed_fields():
        for value in raw_values(model, column):
            if value:
                assert id_of(value) == keyring.current_id, f"{model.__name__}.{column.name} holds {value[:40]!r}"
                written += 1
    assert written > 100
    assert Revision.select().count() > 0 and all(isinstance(r.snapshot, dict) for r in Revision.select())
    assert {c.detail.get("path") for c in CustodyEvent.select() if c.action == "received"} >= {"Допрос Сидорова.txt"}


@sqlite_only
def test_a_raw_read_of_the_database_file_and_of_a_backup_finds_no_confidential_value(app, demo, tmp_path):
    """Can someone who copies the database file or a backup, even with the backup key, read any identity in
    it, and does the data key still read them all after a restore?"""
    values = confidential_values()
    # Short values (citizenship codes, two-letter words) occur by chance in any file; the test above
    # shows they are ciphertext too.
    long_values = [value for value in values if len(value) >= 8]
    assert len(long_values) >= 20
    database.close()
    path = app.config["SETTINGS"].DATABASE_URL.split(":///", 1)[1]
    raw = b"".join(open(name, "rb").read() for name in glob.glob(path + "*"))  # with its -wal and -shm
    assert b"Saratov" in raw or "Саратов".encode() in raw  # the control: public text is there to find
    for value in long_values:
        assert value.encode("utf-8") not in raw, value
    # A backup, even opened with the backup key, holds them only encrypted with the data key.
    backup = tmp_path / "b.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    settings = app.config["SETTINGS"]
    target = create_app({"INSTANCE_PATH": str(tmp_path / "restored"), "SECRET_KEY": "s", "TESTING": True,
                         "DATA_KEY": settings.DATA_KEY, "BACKUP_KEY": settings.BACKUP_KEY,
                         "DATABASE_URL": f"sqlite:///{tmp_path}/restored.sqlite3",
                         "EVIDENCE_DIR": str(tmp_path / "restored-evidence")})
    assert target.test_cli_runner().invoke(args=["restore", str(backup)]).exit_code == 0
    database.close()
    opened = open(tmp_path / "restored.sqlite3", "rb").read()
    assert "Сидорова".encode() not in opened and SOURCE.encode() not in opened
    for value in long_values:
        assert value.encode("utf-8") not in backup.read_bytes() and value.encode("utf-8") not in opened, value
    with target.app_context():
        database.connect(reuse_if_open=True)
        assert confidential_values() == values  # and the data key reads them all


def test_a_value_altered_or_moved_to_another_column_is_refused(app, users):
    """Is an encrypted value that was altered, moved to another column or written in clear refused when
    read?"""
    person = Person(legal_name="Иванов Иван", contact="+7 900 000-00-00")
    name, contact = Person.legal_name.db_value(person.legal_name), Person.contact.db_value(person.contact)
    assert Person.legal_name.python_value(name) == "Иванов Иван"
    with pytest.raises(DataKeyError, match="moved from another column"):
        Person.contact.python_value(name)
    cut = name[:-4] + ("AAAA" if not name.endswith("AAAA") else "BBBB")
    with pytest.raises(DataKeyError, match="altered"):
        Person.legal_name.python_value(cut)
    with pytest.raises(DataKeyError, match="not encrypted"):
        Person.legal_name.python_value("Иванов Иван")
    assert Person.contact.python_value(contact) == "+7 900 000-00-00"


def test_a_value_under_a_key_not_held_names_that_key(app, users):
    """When a value is encrypted under a data key the installation does not hold, does the error name that
    key?"""
    sealed = Person.legal_name.db_value("Петров")
    held = keyring.current_id
    keyring.configure([bytes.fromhex(OTHER_KEY)])
    try:
        with pytest.raises(DataKeyError, match=f"data key {held}, which this installation does not hold"):
            Person.legal_name.python_value(sealed)
    finally:
        keyring.configure([bytes.fromhex(app.config["SETTINGS"].DATA_KEY)])


@pytest.mark.parametrize("given, message", [
    ("correct horse battery staple", "not 64 hexadecimal digits"),
    ("ab" * 31, "not 64 hexadecimal digits"),
    ("   ", "No data key"),
])
def test_a_data_key_that_is_not_32_random_bytes_is_refused_at_start(settings, given, message):
    """Does the application refuse to start with a data key that is not 64 hexadecimal digits, or with
    none?"""
    with pytest.raises(DataKeyError, match=message):
        create_app(dict(settings, DATA_KEY=given))


def test_a_key_file_named_but_missing_is_refused_not_made_anew(settings, tmp_path):
    """If the configured data key file is missing, say on an unmounted disk, does the application refuse to
    start rather than make a new key?"""
    named = tmp_path / "unmounted" / "data_key"
    with pytest.raises(FileNotFoundError, match="does not exist. Mount it"):
        create_app({k: v for k, v in settings.items() if k != "DATA_KEY"} | {"DATA_KEY_FILE": str(named)})
    assert not named.exists()


@pytest.fixture
def file_keyed(settings, tmp_path):
    """An app whose data key lives in a key file outside the instance folder, with people in it."""
    key_file = tmp_path / "keys" / "data_key"
    key_file.parent.mkdir()
    key_file.write_text(OTHER_KEY + "\n")
    key_file.chmod(0o600)
    app = create_app({k: v for k, v in settings.items() if k != "DATA_KEY"} | {"DATA_KEY_FILE": str(key_file)})
    if TEST_DATABASE_URL.startswith("postgres"):
        with database.connection_context():
            database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate()
    database.connect(reuse_if_open=True)
    load_demo(echo=lambda *_: None)
    yield app, key_file
    if not database.is_closed():
        database.close()


def everything() -> dict:
    """Every encrypted value, decrypted, by model, column and row."""
    return {(model.__name__, column.name, row.get_id()): getattr(row, column.name)
            for model, column in sealed_fields() for row in model.select()}


def test_rotation_reencrypts_everything_under_a_new_key_and_retires_the_old(file_keyed):
    """Does rotating the data key re-encrypt every value under a new private key, lose nothing, and leave
    the old key unable to open anything?"""
    app, key_file = file_keyed
    assert not os.path.exists(os.path.join(app.instance_path, "data_key"))  # the key is only where it was put
    old = key_file.read_text().split()
    before = everything()
    assert len(before) > 100
    result = app.test_cli_runner().invoke(args=["data-key", "rotate"])
    assert result.exit_code == 0, result.output
    new = key_file.read_text().split()
    assert len(new) == 1 and new != old
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert data_keys.counts() == {key_id(bytes.fromhex(new[0])): sum(1 for v in before.values() if v)}
    assert everything() == before
    assert f"re-encrypted under data key {key_id(bytes.fromhex(new[0]))}" in result.output
    keyring.configure([bytes.fromhex(old[0])])  # the retired key opens nothing any more
    with pytest.raises(DataKeyError):
        _ = Person.get(fn.LENGTH(Person.legal_name) > 0).legal_name
    keyring.configure([bytes.fromhex(new[0])])
    status = app.test_cli_runner().invoke(args=["data-key", "status"])
    assert key_id(bytes.fromhex(new[0])) in status.output and "plain" not in status.output


def test_a_rotation_cut_short_loses_nothing_and_the_next_run_finishes_it(file_keyed, monkeypatch):
    """If a data key rotation is cut short, is every value still readable, and does the next run finish it
    with the same new key?"""
    app, key_file = file_keyed
    before = everything()
    monkeypatch.setattr(data_keys, "BATCH", 7)
    real_encrypt, calls = keyring.encrypt, []

    def dies_midway(plaintext, context):
        calls.append(context)
        if len(calls) == 60:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a crash, half-way
        return real_encrypt(plaintext, context)

    monkeypatch.setattr(keyring, "encrypt", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        with database.connection_context():
            data_keys.rotate(app.config["SETTINGS"])
    monkeypatch.setattr(keyring, "encrypt", real_encrypt)
    both = key_file.read_text().split()
    assert len(both) == 2  # the new key first, the old kept until every value has moved
    split = data_keys.counts()
    assert len(split) == 2 and all(split.values()), split
    keyring.configure([bytes.fromhex(key) for key in both])
    assert everything() == before
    assert app.test_cli_runner().invoke(args=["data-key", "rotate"]).exit_code == 0
    assert key_file.read_text().split() == both[:1]  # finished with the same new key, not yet another
    assert everything() == before and set(data_keys.counts()) == {key_id(bytes.fromhex(both[0]))}


def test_with_keys_in_the_environment_the_operator_puts_the_new_key_first(app, users, settings):
    """When the data key is given in the environment, is the operator told to put a new key first, and does
    the rotation then move everything to it without losing any value?"""
    load_demo(echo=lambda *_: None)
    before = everything()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["data-key", "rotate"])
    assert refused.exit_code != 0 and "put a new key first" in refused.output
    rotated = create_app(dict(settings, DATA_KEY=f"{OTHER_KEY} {settings['DATA_KEY']}"))
    result = rotated.test_cli_runner().invoke(args=["data-key", "rotate"])
    assert result.exit_code == 0 and "remove the old key from INCIDENTS_DATA_KEY" in result.output
    database.connect(reuse_if_open=True)
    assert set(data_keys.counts()) == {key_id(bytes.fromhex(OTHER_KEY))}
    create_app(dict(settings, DATA_KEY=OTHER_KEY))  # the old key removed, as told
    database.connect(reuse_if_open=True)
    assert everything() == before


def test_the_migration_encrypts_what_earlier_versions_kept_in_clear(app, users):
    """Does upgrading a database from a version that kept identities in clear encrypt them all without
    losing any?"""
    load_demo(echo=lambda *_: None)
    # No version that kept identities in clear had comments: theirs are sealed from the first row.
    Comment.delete().execute()
    # Nor texts per language of responses and evidence (0033, 0035): sealed from the first row too.
    Response.update(body_translations=None, description_translations=None).execute()
    EvidenceItem.update(description_translations=None).execute()
    before = everything()
    # As an older version left it: every encrypted column in clear text, 0015 not applied.
    for model, column in sealed_fields():
        for key, value in database.execute(model.select(model._meta.primary_key, column)):
            if value:
                clear = keyring.decrypt(value, column._context()).decode()
                database.execute_sql(f'UPDATE "{model._meta.table_name}" SET "{column.column_name}" = '  # noqa: S608 (names from the models)
                                     f'{database.param} WHERE "{model._meta.primary_key.column_name}" = {database.param}',
                                     (clear, key))
    database.execute_sql(f"DELETE FROM schema_migration WHERE name = {database.param}", ("0015_encrypt_identities",))
    assert data_keys.counts().keys() == {data_keys.PLAIN}
    assert migrate() == ["0015_encrypt_identities"]
    assert set(data_keys.counts()) == {keyring.current_id}
    assert everything() == before


def test_the_key_file_of_a_new_instance_is_private(tmp_path, settings):
    """Is the data key file made for a new instance readable only by its owner, and is it the key in use?"""
    instance = tmp_path / "fresh"
    create_app({k: v for k, v in settings.items() if k not in ("DATA_KEY", "INSTANCE_PATH")}
               | {"INSTANCE_PATH": str(instance)})
    key_file = instance / "data_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert keyring.current_id == key_id(bytes.fromhex(key_file.read_text().strip()))
    shutil.rmtree(instance)


def test_enrolling_stores_the_authenticator_secret_encrypted(app, users):
    """Is an authenticator secret stored encrypted while it is being enrolled, and does it still confirm
    the enrolment?"""
    user = users["contributor"]
    secret = two_factor.pending_secret(user)
    (raw,) = [v for (v,) in database.execute(User.select(User.totp_pending).where(User.id == user.id))]
    assert raw.startswith(PREFIX) and secret not in raw
    assert two_factor.confirm(user, pyotp.TOTP(secret).now())
    assert User.get_by_id(user.id).totp_secret == secret
