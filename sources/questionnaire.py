"""The co-assessment questionnaire (``areavasta questionnaire``): an xlsx to collect ratings, read back by
``sources.ratings``.

Sheets: ``Istruzioni`` (in Italian: who answers, the scales), ``Valutazioni`` (one row per respondent ×
programme; body and year filled in, drop-downs for programme and respondent type, whole numbers 1-5
enforced by Excel) and ``Programmi`` (the programmes a province or metropolitan city runs, with names).
With ``ratings`` (the canonical columns of ``sources.ratings``) the sheet comes filled (samples, tests).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import xlsxwriter

from sources.ratings import config
from sources.reference import body_name, programmes

HEADER = [
    "Ente",
    "Esercizio",
    "Programma",
    "Tipo di rispondente",
    "Codice rispondente",
    "Qualità (1-5)",
    "Accessibilità (1-5)",
    "Disponibilità a partecipare (1-5)",
    "Note",
]
ROWS = 5_000


def write_questionnaire(path: Path, body: str, year: int, ratings: pl.DataFrame | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = config()
    types = [words["it"] for words in spec["respondent_types"].values()]
    listed = programmes().filter(~pl.col("regions_only")).select("code", "name").sort("code")
    book = xlsxwriter.Workbook(str(path))
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#dde8f3", "border": 1})
    title = book.add_format({"bold": True, "font_size": 14, "font_color": "#1f4e79"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    notes = book.add_worksheet("Istruzioni")
    notes.set_column(0, 0, 110)
    lines = [
        (f"Questionario di co-valutazione dei servizi - {body_name(body)} {year}", title),
        ("", None),
        (
            "Chi risponde: utenti dei servizi, enti del Terzo settore, gruppi di cittadini o di vicinato. Ogni"
            " rispondente ha un codice anonimo, lo stesso per tutte le sue risposte (es. U001, T01).",
            wrap,
        ),
        (
            "Una riga per rispondente e per programma valutato, nel foglio «Valutazioni». Il programma si sceglie"
            " dall'elenco (codice e nome nel foglio «Programmi»).",
            wrap,
        ),
        (
            "Tre domande, ciascuna da 1 a 5 ("
            + ", ".join(f"{k} = {v}" for k, v in spec["scale_points"]["it"].items())
            + "):",
            wrap,
        ),
    ]
    lines += [(f"  - {words['it']}", wrap) for words in spec["scales"].values()]
    lines += [
        (
            "Una domanda senza risposta si lascia vuota. Le risposte restano anonime: nel rapporto compaiono solo"
            f" numero, media e intervallo per programma e tipo di rispondente, e solo da {spec['statistics']['min_n']}"
            " risposte in su entrano nelle priorità e nei piani.",
            wrap,
        )
    ]
    for row, (text, fmt) in enumerate(lines):
        notes.write_string(row, 0, text, fmt)

    sheet = book.add_worksheet(spec["sheet"])
    for col, (text, width) in enumerate(zip(HEADER, (8, 10, 12, 28, 18, 12, 14, 18, 40))):
        sheet.write_string(0, col, text, bold)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    sheet.data_validation(1, 2, ROWS, 2, {"validate": "list", "source": f"=Programmi!$A$2:$A${listed.height + 1}"})
    sheet.data_validation(1, 3, ROWS, 3, {"validate": "list", "source": types})
    sheet.data_validation(
        1,
        5,
        ROWS,
        7,
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1,
            "maximum": 5,
            "error_message": "Un numero intero da 1 a 5",
        },
    )
    words = {key: w["it"] for key, w in spec["respondent_types"].items()}
    rows = ratings.sort("function", "respondent").iter_rows(named=True) if ratings is not None else []
    for index, r in enumerate(rows, start=1):
        sheet.write_string(index, 0, body)
        sheet.write_number(index, 1, year)
        sheet.write_string(index, 2, r["function"])
        sheet.write_string(index, 3, words.get(r["respondent_type"], r["respondent_type"]))
        sheet.write_string(index, 4, r["respondent"])
        for col, scale in enumerate(("quality", "accessibility", "willingness"), start=5):
            if r.get(scale) is not None:
                sheet.write_number(index, col, r[scale])
        if r.get("note"):
            sheet.write_string(index, 8, r["note"])
    if ratings is None:
        for index in range(1, 4):
            sheet.write_string(index, 0, body)
            sheet.write_number(index, 1, year)

    catalogue = book.add_worksheet("Programmi")
    catalogue.write_row(0, 0, ["Codice", "Programma"], bold)
    catalogue.set_column(0, 0, 10)
    catalogue.set_column(1, 1, 90)
    for index, (code, name) in enumerate(listed.iter_rows(), start=1):
        catalogue.write_string(index, 0, code)
        catalogue.write_string(index, 1, name)
    book.close()
    return path
