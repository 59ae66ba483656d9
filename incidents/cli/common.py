"""What every command shares: speaking the terminal's language, and sizes people read."""
from __future__ import annotations

import functools
import os

from flask_babel import force_locale

from incidents.config import LANGUAGES


def in_terminal_language(command):
    """Run ``command`` in the language of the terminal's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        wanted = next((os.environ[name] for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
                       if os.environ.get(name)), "")
        with force_locale(next((code for code in LANGUAGES if wanted.startswith(code)), "en")):
            return command(*args, **kwargs)
    return wrapper


def size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1024
    return str(count)
