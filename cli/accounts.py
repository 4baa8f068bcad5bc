"""Accounts: ``serve`` (the upload portal) and the ``user`` group (``add``, ``disable``, ``reset``) of the portal's
accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.app import Body, app, console, say
from sources.settings import load_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Indirizzo di ascolto.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Porta.")] = 8000,
) -> None:
    """Avvia il portale di caricamento (http://127.0.0.1:8000). I file accettati vanno nell'inbox della pipeline."""
    import uvicorn

    from dashboards.portal import create_app
    from dashboards.portal_guard import server_options

    options = server_options()  # X-Forwarded-For only from AREAVASTA_TRUSTED_PROXIES (docs/PORTAL.md)
    uvicorn.run(create_app(), host=host, port=port, **options)


users = typer.Typer(help="Account del portale (amministratore).", no_args_is_help=True)
app.add_typer(users, name="user")


@users.command("add")
def user_add(
    username: str, role: Annotated[str, typer.Option(help="officer, planner o admin.")] = "officer", body: Body = None
) -> None:
    """Crea un account; stampa la password iniziale una sola volta."""
    from dashboards import accounts
    from sources.reference import resolve_body

    code = resolve_body(body) if body else None
    import sqlite3

    try:
        password = accounts.add_user(load_settings(), username, role, code)
    except sqlite3.IntegrityError:
        console.print(
            "[red]"
            + say(
                f"L'utente {username} esiste già: per una nuova password, areavasta user reset {username}.",
                f"The user {username} already exists: for a new password, areavasta user reset {username}.",
            )
            + "[/]"
        )
        raise typer.Exit(2) from None
    except ValueError:  # unknown role, officer without body
        console.print(
            "[red]"
            + say(
                "Ruolo officer, planner o admin; un officer appartiene a un ente (--body).",
                "Role officer, planner or admin; an officer belongs to one body (--body).",
            )
            + "[/]"
        )
        raise typer.Exit(2) from None
    where = f"{role}{', ' + code if code else ''}"
    console.print(
        say(
            f"Creato {username} ({where}). Password iniziale: {password}",
            f"Created {username} ({where}). Initial password: {password}",
        )
    )


@users.command("disable")
def user_disable(username: str) -> None:
    """Disattiva un account."""
    from dashboards import accounts

    raise typer.Exit(0 if accounts.set_active(load_settings(), username, False) else 1)


@users.command("reset")
def user_reset(username: str) -> None:
    """Genera una nuova password per un account."""
    from dashboards import accounts

    password = accounts.reset_password(load_settings(), username)
    if password is None:
        raise typer.Exit(1)
    console.print(say(f"Nuova password di {username}: {password}", f"New password for {username}: {password}"))
