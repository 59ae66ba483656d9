"""Column types every model uses: JSON as text, and text sealed with the data key."""
from __future__ import annotations

import datetime
import json

from peewee import TextField

from incidents.keys.encryption import keyring


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class JSONTextField(TextField):
    """JSON kept as text, so SQLite and PostgreSQL store it the same way."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class SealedTextField(TextField):
    """Text encrypted at rest with the data key (see encryption.py); plain text in Python.

    Empty stays empty: that a person has no legal name on file is no secret, and it keeps ""
    defaults and emptiness checks plain. Such a column cannot be searched or compared in SQL.
    """

    def _context(self) -> str:
        return f"{self.model._meta.table_name}.{self.column_name}"

    def db_value(self, value):
        if value is None or value == "":
            return value
        return keyring.encrypt(str(value).encode("utf-8"), self._context())

    def python_value(self, value):
        if value is None or value == "":
            return value
        return keyring.decrypt(value, self._context()).decode("utf-8")


class SealedJSONField(SealedTextField):
    """JSON encrypted at rest: a revision's snapshot holds every identity of its incident."""

    def db_value(self, value):
        return None if value is None else super().db_value(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def python_value(self, value):
        return None if value is None else json.loads(super().python_value(value))


def folded(*parts: str) -> str:
    """Texts joined and case-folded for matching in any script ("Саратов" finds "САРАТОВ")."""
    return "\n".join(part for part in parts if part).casefold()
