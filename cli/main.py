"""The ``areavasta`` console script: the app with every group of commands registered on it.

Exit codes: 0 everything accepted (or valid); 1 at least one file has errors (rejected); 2 wrong usage (unknown option,
missing file); 3 the warehouse cannot be used (in words, no traceback); 4 a file held until its replacement is
confirmed; 5 a rebuild refused; 6 ``rerun`` has nothing to compare (the manifest recorded no outputs).
"""

from __future__ import annotations

from cli import (  # noqa: F401 (their commands register on app; the groups in this order: user, dup, anomalie)
    accounts,
    analysis,
    diff,
    dup,
    intake,
    maintenance,
    mapping,
    outliers,
    register,
    reproducibility,
)
from cli.app import app, console
from cli.language import language

# "areavasta --help" lists the commands in this order (as before the groups had modules of their own); a command not
# named here comes after them, in the order its module registered it. The groups (user, dup, anomalie) follow the
# commands.
ORDER = (
    "validate",
    "ingest",
    "national",
    "questionnaire",
    "ratings",
    "mapping",
    "template",
    "sample",
    "demo",
    "classify",
    "report",
    "run",
    "dashboards",
    "serve",
    "manifest",
    "rerun",
    "diff",
    "layouts",
    "restore",
    "uploads",
    "confirm",
    "cancel",
    "rebuild",
)
app.registered_commands.sort(
    key=lambda command: (
        ORDER.index(name) if (name := command.name or command.callback.__name__) in ORDER else len(ORDER)
    )
)

# The list of commands shows each docstring's first paragraph as one sentence: its line breaks are the source's, kept at
# 120 characters, not meant for the reader (typer prints them as they are).
for _command in [
    *app.registered_commands,
    *(c for g in app.registered_groups if g.typer_instance for c in g.typer_instance.registered_commands),
]:  # the groups' commands too (areavasta dup --help)
    _doc = _command.help or (_command.callback.__doc__ if _command.callback else None)
    if _command.short_help is None and _doc:
        _command.short_help = " ".join(_doc.strip().split("\n\n")[0].split())


def main() -> None:
    """The console script: every command, and warehouse problems told in words instead of a traceback (exit 3)."""
    import os
    import sys

    from warehouse.errors import WarehouseError

    if any(arg == "--lang" or arg.startswith("--lang=") for arg in sys.argv):
        # "--lang en" after the command counts for everything, its help included (printed before the option is read)
        os.environ["AREAVASTA_LANG"] = language()
    try:
        app()
    except WarehouseError as exc:
        lang = language()
        console.print(f"[red]{exc.message(lang)}[/]", soft_wrap=True)
        raise SystemExit(3) from None


if __name__ == "__main__":  # pragma: no cover
    main()
