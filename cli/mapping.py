"""``mapping``: what areavasta cannot place in a rejected file (columns or rows), as a mapping to fill in; and, filled
in (``--apply``), checked on the file and kept for the body, which finds it again with its next files of the same
columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.app import Body, Lang, Phase, Year, app, console, findings_table
from sources.findings import Finding
from sources.settings import load_settings


@app.command()
def mapping(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Il file respinto (xlsx o csv).")
    ],
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    apply: Annotated[
        Path | None,
        typer.Option(
            "--apply", exists=True, dir_okay=False, help="La mappa compilata da verificare e salvare per l'ente."
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Dove scrivere la mappa da compilare.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Chi salva la mappa.")] = None,
) -> None:
    """Dice cosa sono le colonne o righe che areavasta non sa collocare: scrive la mappa da compilare,
    oppure (--apply) la verifica sul file e la salva per l'ente, che la ritroverà negli anni successivi."""
    import getpass

    from sources import mappings
    from sources.intake import validate_file

    settings = load_settings()
    plain = validate_file(file, settings, body=body, year=year, phase=phase)
    it = lang != "en"
    if not plain.unplaced:
        console.print(
            "Nel file non ci sono colonne o righe da collocare." if it else "The file has no columns or rows to place."
        )
        if plain.findings:
            console.print(findings_table(plain.findings, lang))
        raise typer.Exit(0 if plain.ok else 1)
    if apply is None:
        text = mappings.skeleton(file.name, plain.layout or "?", plain.body, plain.unplaced)
        target = output or file.with_name(file.stem + ".mappa.yaml")
        target.write_text(text, encoding="utf-8")
        console.print(
            f"Mappa da compilare scritta in {target}: {len(plain.unplaced)} voci."
            if it
            else f"Mapping to fill in written to {target}: {len(plain.unplaced)} entries."
        )
        raise typer.Exit(0)
    parsed, problems = mappings.parse(apply.read_text(encoding="utf-8"), apply.name)
    if parsed is None:
        console.print(findings_table(problems, lang))
        raise typer.Exit(1)
    result = validate_file(file, settings, body=body, year=year, phase=phase, mapping=parsed)
    if not result.ok or result.unplaced or not plain.body:
        if not plain.body:
            result.findings.insert(0, Finding("BODY_MISSING", file=file.name))
        console.print(findings_table(result.findings, lang))
        console.print(
            "La mappa non è stata salvata: il file resta respinto."
            if it
            else "The mapping was not saved: the file is still rejected."
        )
        raise typer.Exit(1)
    path = mappings.store(
        settings,
        plain.body,
        plain.fingerprint,
        parsed,
        layout=plain.layout,
        file_name=file.name,
        user=user or getpass.getuser(),
    )
    console.print(
        f"Mappa verificata e salvata ({path}): il file ora è valido ({result.lines.height} righe) e la mappa "
        "sarà applicata da sola ai prossimi file dell'ente con le stesse colonne."
        if it
        else f"Mapping checked and saved ({path}): the file is now valid ({result.lines.height} rows) and the mapping "
        "will be applied by itself to this body's next files with the same columns."
    )
    if result.findings:
        console.print(findings_table(result.findings, lang))
    raise typer.Exit(0)
