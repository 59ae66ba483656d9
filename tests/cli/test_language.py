"""Every command speaks the terminal's language (LANG): its report, its refusals, "Error:" included.

In Russian and Ukrainian no English word is left once what is not language is taken out: paths,
addresses, hashes and key ids, numbers, and the technical names kept as they are (INCIDENTS_DATA_KEY,
pg_dump, SHA-256, `audit verify --head HEAD`...). A British terminal keeps reading English.
"""
from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import pytest

from incidents import create_app
from incidents.accounts import credentials
from incidents.backup.archive import BackupError, backup_key
from incidents.keys.encryption import DataKeyError, parse_keys
from tests.factories import make_facility, make_incident, publish
from tests.helpers import PASSWORD, TERMINALS, TEST_DATABASE_URL, run_command

LANGUAGES = pytest.mark.parametrize("lang", ["en", "ru", "uk"])
# Names a command prints as they are in every language.
TECHNICAL = ("INCIDENTS_DATA_KEY", "INCIDENTS_BACKUP_KEY", "INCIDENTS_EVIDENCE_DIR", "INCIDENTS_INSTANCE_PATH",
             "DATABASE_URL", "EVIDENCE_DIR", "pg_dump", "pg_restore", "PostgreSQL", "SQLite", "SHA-256",
             "`audit verify --head HEAD`", "`verify`", "init-db", "--key", "--tsa-ca", "INCIDENTS_TSA_CA", "UTC")
sqlite_only = pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"),
                                 reason="backup and restore handle SQLite; PostgreSQL has pg_dump")


def english_words(output: str, *data: str) -> list[str]:
    """The English words of three letters or more left in ``output`` once paths, addresses, hashes,
    numbers, technical names and ``data`` (passwords, say) are taken out."""
    for kept in TECHNICAL + data:
        output = output.replace(kept, " ")
    output = re.sub(r"\S*[/@]\S*", " ", output)  # paths, links, e-mail addresses
    output = re.sub(r"\b[0-9a-f]{8,}\b", " ", output)  # hashes and key ids
    return re.findall(r"\b[A-Za-z]{3,}\b", output)


def speaks(result, lang: str, sentences: dict, *data: str) -> None:
    """The command's output holds its sentence in ``lang``, and no English word unless it is English."""
    assert sentences[lang] in result.output, result.output
    if lang != "en":
        assert english_words(result.output, *data) == [], result.output


@pytest.fixture
def settings(settings):
    return {**settings, "BACKUP_KEY": "5eed" * 16}


def empty_instance(settings, folder):
    """A new, empty instance with the same keys, to restore into."""
    return create_app({**settings, "INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
                       "EVIDENCE_DIR": str(folder / "evidence")})


@sqlite_only
@LANGUAGES
def test_backup_and_restore_speak_the_terminals_language(app, users, settings, tmp_path, lang):
    """Do "backup", a refused "restore" and a successful one report in the terminal's language, sizes
    included?"""
    env, backup = TERMINALS[lang], str(tmp_path / "instance.backup")
    written = run_command(app, "backup", backup, env=env)
    assert written.exit_code == 0, written.output
    speaks(written, lang, {"en": "Backup written to", "ru": "Резервная копия записана в",
                           "uk": "Резервну копію записано в"})
    if lang != "en":
        assert re.search(r"\d+,\d [КМ]Б", written.output), written.output  # a decimal comma, units in Cyrillic
    refused = run_command(app, "restore", backup, env=env)
    assert refused.exit_code != 0
    speaks(refused, lang, {"en": "Error: The database", "ru": "Ошибка: База данных", "uk": "Помилка: База даних"})
    speaks(refused, lang, {"en": "is not empty.", "ru": "не пуста.", "uk": "не порожня."})
    speaks(refused, lang, {"en": "Nothing was restored.", "ru": "Ничего не восстановлено.",
                           "uk": "Нічого не відновлено."})
    restored = run_command(empty_instance(settings, tmp_path / "restored"), "restore", backup, env=env)
    assert restored.exit_code == 0, restored.output
    speaks(restored, lang, {"en": "Restored", "ru": "Восстановлено из", "uk": "Відновлено з"})


@LANGUAGES
def test_data_key_status_speaks_the_terminals_language(app, users, lang):
    """Does "data-key status" say which data key is current, and how many values each key encrypts, in
    the terminal's language?"""
    result = run_command(app, "data-key", "status", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    speaks(result, lang, {"en": "Current data key:", "ru": "Текущий ключ данных:", "uk": "Поточний ключ даних:"})
    speaks(result, lang, {"en": "value(s)", "ru": "значений —", "uk": "значень —"})


@LANGUAGES
def test_counts_in_a_commands_report_are_written_as_the_terminals_language_writes_numbers(app, monkeypatch, lang):
    """Does a count of thousands read "12 345" in a Russian or Ukrainian terminal and "12,345" in an
    English one, not "12345" (an archive of many files, a trail of many events)?"""
    from incidents.cli import key_rotation
    monkeypatch.setattr(key_rotation, "counts", lambda: {key_rotation.PLAIN: 12345, "k2": 1234567})
    result = run_command(app, "data-key", "status", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    written = {"en": ("12,345", "1,234,567"), "ru": ("12\xa0345", "1\xa0234\xa0567"),
               "uk": ("12\xa0345", "1\xa0234\xa0567")}[lang]
    assert all(number in result.output for number in written) and "12345" not in result.output, result.output


@LANGUAGES
def test_init_db_speaks_the_terminals_language(app, lang):
    """Does "init-db" say the database is ready, and hand out the first administrator's link, in the
    terminal's language?"""
    result = run_command(app, "init-db", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    speaks(result, lang, {"en": "Database ready", "ru": "База данных готова", "uk": "Базу даних готово"})
    speaks(result, lang, {"en": "Open this one-time link", "ru": "Откройте эту одноразовую ссылку",
                          "uk": "Відкрийте це одноразове посилання"})


@LANGUAGES
def test_users_create_and_token_speak_the_terminals_language(app, lang):
    """Do "users create" (a user created, a weak password refused) and "users token" for an unknown user
    report in the terminal's language?"""
    env = TERMINALS[lang]
    created = run_command(app, "users", "create", "cli@example.org", "--role", "lawyer", "--password-stdin",
                          env=env, input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    speaks(created, lang, {"en": "Created cli@example.org (Lawyer).", "ru": "Создан пользователь cli@example.org (Юрист).",
                           "uk": "Створено користувача cli@example.org (Юрист)."})
    weak = run_command(app, "users", "create", "weak@example.org", "--role", "lawyer", "--password-stdin",
                       env=env, input="short\n")
    assert weak.exit_code != 0
    speaks(weak, lang, {"en": "Error: Use at least", "ru": "Ошибка: Используйте не менее",
                        "uk": "Помилка: Мінімальна кількість символів"})
    unknown = run_command(app, "users", "token", "ghost@example.org", env=env)
    assert unknown.exit_code != 0
    speaks(unknown, lang, {"en": "Error: No active user ghost@example.org.",
                           "ru": "Ошибка: Нет активного пользователя ghost@example.org.",
                           "uk": "Помилка: Немає активного користувача ghost@example.org."})


@LANGUAGES
def test_ingest_refuses_an_unknown_user_in_the_terminals_language(app, tmp_path, lang):
    """Before it knows whose language to speak, does "ingest" refuse an unknown user in the terminal's?"""
    result = run_command(app, "ingest", str(tmp_path), "--user", "ghost@example.org", env=TERMINALS[lang])
    assert result.exit_code != 0
    speaks(result, lang, {"en": "Error: No active user ghost@example.org.",
                          "ru": "Ошибка: Нет активного пользователя ghost@example.org.",
                          "uk": "Помилка: Немає активного користувача ghost@example.org."})


@LANGUAGES
def test_demo_speaks_the_terminals_language(app, lang):
    """Does "demo" list its users, their roles named in the terminal's language, and what it loaded?"""
    result = run_command(app, "demo", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    passwords = re.findall(r"@demo\.invalid\s+(\S+)$", result.output, re.MULTILINE)
    assert len(passwords) == 5
    speaks(result, lang, {"en": "Demo users (passwords shown once):",
                          "ru": "Демонстрационные пользователи (пароли показываются один раз):",
                          "uk": "Демонстраційні користувачі (паролі показано лише раз):"}, *passwords)
    speaks(result, lang, {"en": "Reviewer", "ru": "Рецензент", "uk": "Рецензент"}, *passwords)
    speaks(result, lang, {"en": "Loaded", "ru": "Загружено учреждений", "uk": "Завантажено установ"}, *passwords)


@LANGUAGES
def test_audit_verify_speaks_the_terminals_language(app, users, lang):
    """Does "audit verify" report an intact trail, and how to check it later, in the terminal's language?"""
    result = run_command(app, "audit", "verify", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    speaks(result, lang, {"en": "OK:", "ru": "В порядке: записей журнала аудита", "uk": "Гаразд: записів журналу аудиту"})
    speaks(result, lang, {"en": "Note the head", "ru": "Запишите вершину", "uk": "Запишіть вершину"})


@LANGUAGES
def test_bundle_verify_without_a_key_refuses_in_the_terminals_language(app, tmp_path, lang):
    """On an installation that never signed a bundle, does "bundle verify" without --key ask for the
    signer's key in the terminal's language?"""
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(b"PK")
    result = run_command(app, "bundle", "verify", str(bundle), env=TERMINALS[lang])
    assert result.exit_code != 0
    speaks(result, lang, {"en": "Error: This installation has never signed a bundle",
                          "ru": "Ошибка: Этот экземпляр системы ещё не подписал ни одного комплекта",
                          "uk": "Помилка: Цей екземпляр системи ще не підписав жодного комплекту"})


def with_authority(app, tsa) -> str:
    """Give ``app`` the tests' timestamp authority; returns the subject of its certificate."""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL=tsa.url, TSA_CA=tsa.ca_file)
    return "C=UA, O=Тестовий центр, CN=Test TSA"


@LANGUAGES
def test_audit_stamp_and_the_stamped_heads_speak_the_terminals_language(app, users, tsa, lang):
    """Do "audit stamp", and "audit verify" listing the stamped head, speak the terminal's language, and
    does a refused stamp begin in it (the authority's own reason stays as it said it)?"""
    subject = with_authority(app, tsa)
    sentences = {"en": "Timestamped: the head", "ru": "Заверена штампом времени: вершина",
                 "uk": "Засвідчено позначкою часу: вершина"}
    result = run_command(app, "audit", "stamp", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    speaks(result, lang, sentences, subject)
    listing = run_command(app, "audit", "verify", env=TERMINALS[lang])
    assert listing.exit_code == 0, listing.output
    speaks(listing, lang, sentences, subject)
    tsa.mode = "rejection"
    refused = run_command(app, "audit", "stamp", env=TERMINALS[lang])
    assert refused.exit_code == 1 and {"en": "Error: Nothing was timestamped:", "ru": "Ошибка: Штамп времени не получен:",
                                       "uk": "Помилка: Позначку часу не отримано:"}[lang] in refused.output


@LANGUAGES
def test_bundle_verify_tells_the_timestamp_in_the_terminals_language(app, users, tsa, tmp_path, lang):
    """Does "bundle verify" say when and by whom a bundle was timestamped, and that the authority's
    certificate chains to its CA, in the terminal's language?"""
    subject = with_authority(app, tsa)
    incident = publish(make_incident(users["contributor"], make_facility(users["contributor"])),
                       users["contributor"], users["reviewer"])
    response = app.test_client().post("/api/v1/dossiers", json={"incident_ids": [incident.id], "redaction": "public"},
                                      headers={"Authorization": f"Bearer {credentials.issue_api_token(users['lawyer'])}"})
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(response.data)
    result = run_command(app, "bundle", "verify", str(bundle), env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    speaks(result, lang, {"en": "Timestamped at", "ru": "Штамп времени:", "uk": "Позначка часу:"}, subject)
    speaks(result, lang, {"en": "Its certificate chains", "ru": "Сертификат службы выдан её удостоверяющим центром",
                          "uk": "Сертифікат служби видано її центром сертифікації"}, subject)


@LANGUAGES
def test_evidence_verify_speaks_the_terminals_language(app, users, lang):
    """Does "evidence verify" count the files it checked, first line included, in the terminal's language?"""
    result = run_command(app, "evidence", "verify", env=TERMINALS[lang])
    assert result.exit_code == 0, result.output
    speaks(result, lang, {"en": "Checked 0 stored file(s)", "ru": "Проверено хранимых файлов: 0",
                          "uk": "Перевірено збережених файлів: 0"})


def test_errors_raised_outside_a_command_read_in_english(app):
    """Does a refusal raised outside any command or request (a key missing when the application starts, a
    backup refused in a script) still read, in English, in and out of the application context?"""
    with pytest.raises(DataKeyError) as outside:
        parse_keys("")
    assert str(outside.value).startswith("No data key. Make one with python3")
    with app.app_context():
        assert str(outside.value).startswith("No data key.")
        with pytest.raises(BackupError, match="INCIDENTS_BACKUP_KEY must be 64 hexadecimal digits"):
            backup_key(SimpleNamespace(BACKUP_KEY="not-a-key"))
        with pytest.raises(DataKeyError, match="Data key 1 is not 64 hexadecimal digits"):
            parse_keys("not-a-key")


def commands(group, path=()):
    """(name, command) of every command under ``group``, subcommands of groups included."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def test_every_command_speaks_the_terminals_language(app):
    """Is every `flask --app app` command run in the terminal's language, so that a command added later
    cannot print English only?"""
    unspoken = [name for name, command in commands(app.cli)
                if not getattr(command.callback, "in_terminal_language", False)]
    assert unspoken == []
    assert len(list(commands(app.cli))) >= 13  # the walk reaches into the groups
