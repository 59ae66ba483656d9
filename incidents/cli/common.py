"""What every command shares: speaking the terminal's language, and refusing in it.

Click's own words (``--help``, a missing argument, "Aborted!") stay English: the help texts are
read when the commands are defined, before any language is chosen.
"""
from __future__ import annotations

import functools
import os

import click
from flask_babel import force_locale
from flask_babel import gettext as _

from incidents.config import LANGUAGES


def terminal_language() -> str:
    """The language of the terminal's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); English if none of ours."""
    wanted = next((os.environ[name] for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
                   if os.environ.get(name)), "")
    return next((code for code in LANGUAGES if wanted.startswith(code)), "en")


def in_terminal_language(command):
    """Run ``command`` in the terminal's language (see ``terminal_language``)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with force_locale(terminal_language()):
            return command(*args, **kwargs)
    wrapper.in_terminal_language = True  # kept by the decorators over it: a test finds a command without it
    return wrapper


class Refusal(click.ClickException):
    """A command's refusal, "Error:" included, in the language it runs in.

    Click prints a refusal after the command has returned, out of its language, and its own
    "Error:" is English only: the whole line is therefore rendered here, when it is raised.
    """

    def __init__(self, message) -> None:
        super().__init__(_("Error: %(message)s", message=message))

    def show(self, file=None) -> None:
        click.echo(self.message, file=file, err=file is None)
