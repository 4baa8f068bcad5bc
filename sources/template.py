"""The officer's template (``areavasta template``): an xlsx to fill in, read back by the ``template`` layout.

Sheets: ``Istruzioni`` (how to fill it, in Italian), ``Dati`` (body, year and phase on top, a
locked header, drop-down lists for every code), ``Esempio`` (filled example rows, never read),
``Override autorità`` (optional changes to the authority catalogue, used by the classification)
and a hidden ``Elenchi`` sheet holding the code lists behind the drop-downs.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import xlsxwriter

from sources.reference import (
    amount_kinds,
    body_name,
    macroaggregates,
    missions,
    programmes,
    titles,
)

HEADER = ["Missione", "Programma", "Titolo", "Macroaggregato", "Tipo importo", "Importo", "Capitolo", "Descrizione"]
HEADER_ROW = 4  # 0-based: row 5 in Excel
DATA_ROWS = 30_000  # rows prepared with drop-downs and unlocked cells
OVERRIDE_HEADER = ["Programma", "Attributo", "Valore (0-3)", "Stato", "Motivazione (obbligatoria)", "Autore", "Data"]
AUTHORITY_ATTRIBUTES = [  # words an officer reads; sources/overrides.py reads them back
    "autorizzazioni",
    "controlli e sanzioni",
    "piani vincolanti",
    "allocazione di risorse",
    "mandato di legge",
    "erogazione diretta",
    "risorse proprie",
]
STATUSES = ["mantenuta", "trasferita", "delegata", "non fondamentale"]

INSTRUCTIONS = [
    ("Modello di caricamento del bilancio - areavasta", "title"),
    ("", None),
    ("Come compilare", "heading"),
    ("1. Nel foglio «Dati» controllare in alto ente, esercizio e fase (previsione o rendiconto).", None),
    ("2. Dalla riga 6 in giù inserire una riga per ogni capitolo (o voce) di spesa e per ogni tipo di importo.", None),
    (
        "3. Missione, programma, titolo, macroaggregato e tipo di importo si scelgono dagli elenchi a discesa: Excel"
        " rifiuta un valore scritto a mano che non è nell'elenco. Incollando righe da un altro file basta il codice"
        " (es. 04.02, 1, 1.03).",
        None,
    ),
    (
        "4. Gli importi sono in euro, con al massimo due decimali (es. 1.234.567,89): Excel rifiuta un testo al posto"
        " di un numero. Non usare formule.",
        None,
    ),
    (
        "5. Non modificare l'intestazione (riga 5): è protetta. Non aggiungere righe di totale: il controllo le"
        " ricalcola.",
        None,
    ),
    ("6. Il foglio «Esempio» mostra alcune righe compilate; non viene caricato.", None),
    (
        "7. Il foglio «Override autorità» è facoltativo: serve a correggere, con motivazione, il grado di autorità"
        " di un programma o il suo stato (mantenuta, trasferita, delegata, non fondamentale) per questo ente.",
        None,
    ),
    ("", None),
    ("Dove inviarlo", "heading"),
    (
        "Caricare il file nel portale areavasta dell'ente («Carica il bilancio», con esercizio e fase) oppure"
        " consegnarlo all'ufficio che gestisce areavasta. Se il file ha errori, il portale dice foglio, riga e colonna"
        " da correggere e nulla viene caricato finché non è corretto.",
        None,
    ),
    ("", None),
    ("Tipi di importo", "heading"),
]


def write_template(path: Path, body: str, year: int, phase: str, lines: pl.DataFrame | None = None) -> Path:
    """Write the template; with ``lines`` (canonical columns) the Dati sheet comes filled (used for samples)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": lines is not None and lines.height > 5000})
    fmt = _formats(workbook)
    lists = _lists()
    _instructions(workbook, fmt)
    data = workbook.add_worksheet("Dati")
    _data_sheet(workbook, data, fmt, body, year, phase, lists, lines)
    example = workbook.add_worksheet("Esempio")
    _data_sheet(workbook, example, fmt, body, year, phase, lists, _example_lines(phase), protect=False)
    _override_sheet(workbook, fmt, lists)
    _lists_sheet(workbook, lists)
    workbook.close()
    return path


def _formats(workbook):
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "heading": workbook.add_format({"bold": True, "font_size": 11, "font_color": "#1f4e79"}),
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#dde8f3", "border": 1, "locked": True, "text_wrap": True}
        ),
        "label": workbook.add_format({"bold": True, "locked": True}),
        "meta": workbook.add_format({"locked": True, "bg_color": "#f2f2f2"}),
        "cell": workbook.add_format({"locked": False}),
        "amount": workbook.add_format({"locked": False, "num_format": "#,##0.00"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }


def _spending_kinds():
    """The template carries spending lines: revenue kinds (accertamenti, riscossioni) are not offered."""
    return amount_kinds().filter(pl.col("side") != "entrate")


def _lists() -> dict[str, list[str]]:
    return {
        "missione": [f"{c} - {n}" for c, n in missions().select("code", "name").iter_rows()],
        "programma": [f"{c} - {n}" for c, n in programmes().select("code", "name").iter_rows()],
        "titolo": [f"{c} - {n}" for c, n in titles().select("code", "name").iter_rows()],
        "macroaggregato": [f"{c} - {n}" for c, n in macroaggregates().select("code", "name").iter_rows()],
        "tipo importo": _spending_kinds()["label_it"].to_list(),
        "attributo": AUTHORITY_ATTRIBUTES,
        "stato": STATUSES,
    }


def _instructions(workbook, fmt) -> None:
    sheet = workbook.add_worksheet("Istruzioni")
    sheet.set_column(0, 0, 68, fmt["wrap"])  # fits A4 portrait at 100 %: long lines wrap, none is cut
    sheet.set_paper(9)
    sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    row = 0
    for text, style in INSTRUCTIONS:
        sheet.write(row, 0, text, fmt.get(style) if style else fmt["wrap"])
        if len(text) > 68:
            sheet.set_row(row, 15 * (-(-len(text) // 68)))
        row += 1
    for label, note in _spending_kinds().select("label_it", "phases").iter_rows():
        sheet.write(row, 0, f"• {label} (fase: {note.replace(';', ', ')})")
        row += 1


def _data_sheet(workbook, sheet, fmt, body, year, phase, lists, lines, protect: bool = True) -> None:
    widths = [28, 34, 22, 34, 26, 18, 14, 50]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write(0, 0, "Ente", fmt["label"])
    sheet.write(0, 1, f"{body} - {body_name(body)}", fmt["meta"])
    sheet.write(1, 0, "Esercizio", fmt["label"])
    sheet.write_number(1, 1, year, fmt["meta"])
    sheet.write(2, 0, "Fase", fmt["label"])
    sheet.write(2, 1, phase, fmt["meta"])
    sheet.write_row(HEADER_ROW, 0, HEADER, fmt["header"])
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # printed: all columns on the page width, header repeated
    sheet.repeat_rows(HEADER_ROW)
    last = HEADER_ROW + max(DATA_ROWS, 0 if lines is None else lines.height)
    for col, key in enumerate(["missione", "programma", "titolo", "macroaggregato", "tipo importo"]):
        letter = chr(ord("A") + list(lists).index(key))
        sheet.data_validation(
            HEADER_ROW + 1,
            col,
            last,
            col,
            {
                "validate": "list",
                "source": f"=Elenchi!${letter}$2:${letter}${len(lists[key]) + 1}",
                "error_type": "stop",
                "error_title": "Valore non in elenco",
                "error_message": "Scegliere una voce dall'elenco a discesa.",
            },
        )
    sheet.data_validation(
        HEADER_ROW + 1,
        5,
        last,
        5,
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": -1e12,
            "error_type": "stop",
            "error_title": "Importo non valido",
            "error_message": "Scrivere un importo in euro, come numero (es. 1234,56).",
        },
    )
    if lines is not None:
        labels = dict(zip(amount_kinds()["code"], amount_kinds()["label_it"]))
        for offset, row in enumerate(lines.iter_rows(named=True)):
            r = HEADER_ROW + 1 + offset
            sheet.write_string(r, 0, row["missione"], fmt["cell"])
            if row["programma"]:
                sheet.write_string(r, 1, row["programma"], fmt["cell"])
            sheet.write_string(r, 2, row["titolo"], fmt["cell"])
            sheet.write_string(r, 3, row["macroaggregato"], fmt["cell"])
            sheet.write_string(r, 4, labels.get(row["amount_kind"], row["amount_kind"]), fmt["cell"])
            sheet.write_number(r, 5, row["amount_cents"] / 100, fmt["amount"])
            if row.get("capitolo"):
                sheet.write_string(r, 6, row["capitolo"], fmt["cell"])
            if row.get("description"):
                sheet.write_string(r, 7, row["description"], fmt["cell"])
    if protect:
        sheet.protect(
            "", {"format_columns": True, "sort": True, "autofilter": True, "insert_rows": True, "delete_rows": True}
        )
        for col in range(len(HEADER)):
            sheet.set_column(col, col, widths[col], fmt["amount"] if col == 5 else fmt["cell"])


def _example_lines(phase: str) -> pl.DataFrame:
    kind = "stanziamento" if phase == "previsione" else "impegni"
    return pl.DataFrame(
        {
            "missione": [
                "10 - Trasporti e diritto alla mobilità",
                "10 - Trasporti e diritto alla mobilità",
                "04 - Istruzione e diritto allo studio",
            ],
            "programma": [
                "10.05 - Viabilità e infrastrutture stradali",
                "10.05 - Viabilità e infrastrutture stradali",
                "04.02 - Altri ordini di istruzione non universitaria",
            ],
            "titolo": ["1 - Spese correnti", "2 - Spese in conto capitale", "1 - Spese correnti"],
            "macroaggregato": [
                "1.03 - Acquisto di beni e servizi",
                "2.02 - Investimenti fissi lordi e acquisto di terreni",
                "1.03 - Acquisto di beni e servizi",
            ],
            "amount_kind": [kind, kind, kind],
            "amount_cents": [125_000_000, 480_000_050, 36_512_075],
            "capitolo": ["10520/1", "21005/2", "04230/1"],
            "description": [
                "Manutenzione ordinaria strade provinciali",
                "Messa in sicurezza SP 12",
                "Utenze istituti superiori",
            ],
        }
    )


def _override_sheet(workbook, fmt, lists) -> None:
    sheet = workbook.add_worksheet("Override autorità")
    sheet.write(
        0,
        0,
        "Facoltativo: modifiche al catalogo dell'autorità per questo ente (una riga per modifica, motivazione"
        " obbligatoria).",
        fmt["heading"],
    )
    sheet.write_row(2, 0, OVERRIDE_HEADER, fmt["header"])
    for col, width in enumerate([34, 22, 12, 14, 60, 20, 14]):
        sheet.set_column(col, col, width)
    for col, key in ((0, "programma"), (1, "attributo"), (3, "stato")):
        letter = chr(ord("A") + list(lists).index(key))
        sheet.data_validation(
            3, col, 500, col, {"validate": "list", "source": f"=Elenchi!${letter}$2:${letter}${len(lists[key]) + 1}"}
        )
    sheet.data_validation(3, 2, 500, 2, {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 3})
    sheet.freeze_panes(3, 0)


def _lists_sheet(workbook, lists) -> None:
    sheet = workbook.add_worksheet("Elenchi")
    for col, (key, values) in enumerate(lists.items()):
        sheet.write(0, col, key)
        sheet.write_column(1, col, values)
    sheet.hide()
