"""The command line in the user's language, including what click and typer print themselves.

``AREAVASTA_LANG`` (or ``--lang``, given anywhere on the command line) chooses Italian (default) or
English. Click and typer look their words up through gettext at call time (module-level ``_``),
keep them in typer's module constants, or (the click vendored in typer) write them literally;
``speak`` points all three at ``data/cli_words.yaml``, and shows
no Python type names (``<str>``, ``<list[Path]>``) beside the options: the help text says what to give.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache

import click
import typer
import typer._click.core
import typer._click.exceptions
import typer._click.formatting
import typer.core
import typer.rich_utils
import yaml

from sources.reference import DATA_DIR

CLICK_MODULES = ("core", "exceptions", "formatting", "parser", "types", "decorators", "termui", "utils")
TYPER_CONSTANTS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


# the vendored click inside typer writes these words literally: wrapped once, translated at call time
_WRITE_USAGE = typer._click.formatting.HelpFormatter.write_usage
_GET_HELP_OPTION = typer._click.core.Command.get_help_option
_LANG = {"now": "it"}


_EXCEPTIONS = [
    cls
    for cls in vars(typer._click.exceptions).values()
    if isinstance(cls, type) and issubclass(cls, Exception) and "format_message" in vars(cls)
]
_FORMAT_MESSAGE = {cls: vars(cls)["format_message"] for cls in _EXCEPTIONS}


def _write_usage(self, prog, args="", prefix=None):
    args = args.replace("[OPTIONS]", _translate("[OPTIONS]"))
    return _WRITE_USAGE(self, prog, args, _translate("Usage:") + " " if prefix is None else prefix)


def _message_in_words(original):
    def format_message(self) -> str:
        text = original(self)
        for pattern, replacement in _words().get(f"{_LANG['now']}_patterns", []):
            text = re.sub(pattern, replacement, text)
        return text

    return format_message


def _get_help_option(self, ctx):
    option = _GET_HELP_OPTION(self, ctx)
    if option is not None:
        option.help = _translate("Show this message and exit.")
    return option


def _translate(text: str) -> str:
    return _words().get(_LANG["now"], {}).get(text, text)


@cache
def _words() -> dict[str, dict[str, str]]:
    return yaml.safe_load((DATA_DIR / "cli_words.yaml").read_text(encoding="utf-8"))


def language(argv: list[str] | None = None) -> str:
    """``en`` when ``--lang en`` is on the command line or ``AREAVASTA_LANG=en``; Italian otherwise."""
    argv = sys.argv if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "it"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "it"
    return "en" if os.environ.get("AREAVASTA_LANG", "it") == "en" else "it"


def speak(lang: str) -> None:
    """Make click and typer print their own words in ``lang``."""
    _LANG["now"] = lang
    translate = _translate
    typer._click.formatting.HelpFormatter.write_usage = _write_usage
    typer._click.core.Command.get_help_option = _get_help_option
    for cls, original in _FORMAT_MESSAGE.items():
        cls.format_message = _message_in_words(original)
    for name in CLICK_MODULES:
        module = getattr(click, name, None)
        if module is not None and hasattr(module, "_"):
            module._ = translate
    typer.core._ = translate
    typer.rich_utils._ = translate
    for constant, english in TYPER_CONSTANTS.items():
        setattr(typer.rich_utils, constant, translate(english))
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        cls.display_type_rich = lambda self, ctx: self.metavar  # no "<str>"; a metavar when one is given


def command_help(command, lang: str) -> None:
    """The commands' and options' own help in ``lang`` (click objects built for this run; Italian is the source text).

    Texts without an English entry stay as written (long docstrings are matched whole, then by their first line).
    """
    if lang != "en":
        return
    table = _words().get("en_help", {})

    def english(text: str | None) -> str | None:
        if not text:
            return text
        flat = " ".join(text.split())
        return table.get(flat) or table.get(text) or text

    commands = getattr(command, "commands", {}) or {}
    for sub in [command, *commands.values()]:
        sub.help = english(sub.help)
        if getattr(sub, "short_help", None):
            sub.short_help = english(sub.short_help)
        for param in sub.params:
            if getattr(param, "help", None):
                param.help = english(param.help)
        if sub is not command and getattr(sub, "commands", None):  # a group of commands (areavasta user …)
            command_help(sub, lang)
