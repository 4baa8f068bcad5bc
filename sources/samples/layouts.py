"""Write a generated budget in each layout officers actually hold (and the product reads)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import xlsxwriter

from sources.reference import (
    amount_kinds,
    bodies,
    body_name,
    macroaggregates,
    missions,
    programmes,
    titles,
)
from sources.samples.budget import aggregate, with_total_payments
from sources.template import write_template

KIND_LABEL = dict(zip(amount_kinds()["code"], amount_kinds()["label_it"]))
OPEN_FORMAT_KINDS = {
    "rendiconto": {"impegni": "Impegnato", "fpv": "FPV", "pagamenti": "Pagato"},  # Pagato = total payments
    "previsione": {
        "stanziamento": "Previsioni di competenza",
        "fpv": "FPV",
        "stanziamento_cassa": "Previsioni di cassa",
    },
}
ANNEX_SHEETS = {
    "rendiconto": {"impegni": "IMPEGNI", "pagamenti_competenza": "PAGAMENTI IN CONTO COMPETENZA"},
    "previsione": {"stanziamento": "PREVISIONI DI COMPETENZA", "stanziamento_cassa": "PREVISIONI DI CASSA"},
}
ANNEX_KIND_COLUMNS = {
    "previsione": ["stanziamento", "fpv", "stanziamento_cassa", "stanziamento_anno_2", "stanziamento_anno_3"],
    "rendiconto": ["stanziamento", "impegni", "fpv", "pagamenti_competenza", "pagamenti_residui"],
}
LAYOUTS = ("template", "annex_macroaggregates", "annex_amount_kinds", "open_format_matrix", "bdap_missions")


def it_number(cents: int) -> str:
    """``123456789`` → ``1.234.567,89`` (Italian text, as exports write it)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{frac:02d}"


def _names(table: pl.DataFrame) -> dict[str, str]:
    return dict(zip(table["code"], table["name"]))


def write_layout(layout: str, lines: pl.DataFrame, path: Path, *, text_numbers: bool = False) -> Path:
    """Write ``lines`` (one body, year, phase; canonical columns) in ``layout``."""
    body, year, phase = lines.row(0, named=True)["body"], lines["year"][0], lines["phase"][0]
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout == "template":
        return write_template(path, body, year, phase, lines)
    if layout == "annex_macroaggregates":
        return _annex_macro(aggregate(lines), path, body, year, phase, text_numbers)
    if layout == "annex_amount_kinds":
        return _annex_kinds(aggregate(lines), path, body, year, phase, text_numbers)
    if layout == "open_format_matrix":
        return _open_format(aggregate(lines), path, phase)
    if layout == "bdap_missions":
        return write_bdap([lines], path)
    raise ValueError(layout)


def _title_block(sheet, fmt, body, year, phase, subtitle, width) -> None:
    heading = "BILANCIO DI PREVISIONE" if phase == "previsione" else "RENDICONTO DELLA GESTIONE"
    years = f"{year}-{year + 2}" if phase == "previsione" else str(year)
    sheet.merge_range(0, 0, 0, width, body_name(body).upper(), fmt["title"])
    sheet.merge_range(1, 0, 1, width, f"{heading} {years}", fmt["title"])
    sheet.merge_range(2, 0, 2, width, subtitle, fmt["sub"])
    sheet.merge_range(3, 0, 3, width, "(importi in euro)", fmt["note"])
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def _fmt(workbook):
    return {
        "title": workbook.add_format({"bold": True, "align": "center", "font_size": 12}),
        "sub": workbook.add_format({"bold": True, "align": "center"}),
        "note": workbook.add_format({"italic": True, "align": "center"}),
        "head": workbook.add_format(
            {"bold": True, "text_wrap": True, "border": 1, "bg_color": "#e7e6e6", "valign": "top"}
        ),
        "num": workbook.add_format({"num_format": "#,##0.00"}),
        "bold": workbook.add_format({"bold": True}),
        "boldnum": workbook.add_format({"bold": True, "num_format": "#,##0.00"}),
    }


def _put(sheet, row, col, cents, fmt, text_numbers):
    if text_numbers:
        sheet.write_string(row, col, it_number(cents))
    else:
        sheet.write_number(row, col, cents / 100, fmt)


def _annex_macro(agg: pl.DataFrame, path: Path, body, year, phase, text_numbers) -> Path:
    """Missions and programmes down, macroaggregates across, one sheet per amount kind."""
    workbook = xlsxwriter.Workbook(str(path))
    fmt = _fmt(workbook)
    mission_names, programme_names, macro_names = _names(missions()), _names(programmes()), _names(macroaggregates())
    for kind, sheet_title in ANNEX_SHEETS[phase].items():
        part = agg.filter(pl.col("amount_kind") == kind, pl.col("titolo").is_in(["1", "2", "3", "4"]))
        macros = sorted(part["macroaggregato"].unique())
        sheet = workbook.add_worksheet(sheet_title.title()[:31])
        _title_block(
            sheet,
            fmt,
            body,
            year,
            phase,
            f"SPESE PER MISSIONI, PROGRAMMI E MACROAGGREGATI - {sheet_title}",
            len(macros) + 2,
        )
        header_row = 5
        sheet.write(header_row, 0, "Codice", fmt["head"])
        sheet.write(header_row, 1, "Missione / Programma", fmt["head"])
        for j, macro in enumerate(macros):
            sheet.write(header_row, 2 + j, f"{macro.replace('.', '')} {macro_names[macro]}", fmt["head"])
        sheet.write(header_row, 2 + len(macros), "TOTALE", fmt["head"])
        sheet.set_column(0, 0, 26)
        sheet.set_column(1, 1, 48)
        sheet.set_column(2, 2 + len(macros), 16)
        pivot = part.pivot(
            on="macroaggregato", index=["missione", "programma"], values="amount_cents", aggregate_function="sum"
        ).fill_null(0)
        row = header_row + 1
        grand = {m: 0 for m in macros}
        for mission in sorted(pivot["missione"].unique()):
            sheet.write(row, 0, f"MISSIONE {mission}", fmt["bold"])
            sheet.write(row, 1, mission_names[mission], fmt["bold"])
            row += 1
            subtotal = {m: 0 for m in macros}
            for record in pivot.filter(pl.col("missione") == mission).sort("programma").iter_rows(named=True):
                sheet.write(row, 0, record["programma"].replace(".", ""))
                sheet.write(row, 1, programme_names[record["programma"]])
                for j, macro in enumerate(macros):
                    value = record.get(macro) or 0
                    subtotal[macro] += value
                    _put(sheet, row, 2 + j, value, fmt["num"], text_numbers)
                _put(sheet, row, 2 + len(macros), sum(record.get(m) or 0 for m in macros), fmt["num"], text_numbers)
                row += 1
            sheet.write(row, 0, f"TOTALE MISSIONE {mission}", fmt["bold"])
            for j, macro in enumerate(macros):
                _put(sheet, row, 2 + j, subtotal[macro], fmt["boldnum"], text_numbers)
                grand[macro] += subtotal[macro]
            _put(sheet, row, 2 + len(macros), sum(subtotal.values()), fmt["boldnum"], text_numbers)
            row += 2
        sheet.write(row, 0, "TOTALE GENERALE DELLE SPESE", fmt["bold"])
        for j, macro in enumerate(macros):
            _put(sheet, row, 2 + j, grand[macro], fmt["boldnum"], text_numbers)
        _put(sheet, row, 2 + len(macros), sum(grand.values()), fmt["boldnum"], text_numbers)
        sheet.freeze_panes(header_row + 1, 2)
    workbook.close()
    return path


def _annex_kinds(agg: pl.DataFrame, path: Path, body, year, phase, text_numbers) -> Path:
    """Mission › programme › title › macroaggregate blocks down, amount kinds across, with subtotals."""
    workbook = xlsxwriter.Workbook(str(path))
    fmt = _fmt(workbook)
    kinds = [k for k in ANNEX_KIND_COLUMNS[phase] if k in set(agg["amount_kind"])]
    sheet = workbook.add_worksheet("Riepilogo spese")
    _title_block(
        sheet,
        fmt,
        body,
        year,
        phase,
        "RIEPILOGO GENERALE DELLE SPESE PER MISSIONI, PROGRAMMI, TITOLI E MACROAGGREGATI",
        len(kinds) + 1,
    )
    header_row = 5
    sheet.write(header_row, 0, "Codice", fmt["head"])
    sheet.write(header_row, 1, "Denominazione", fmt["head"])
    labels = {k: KIND_LABEL[k] for k in kinds}
    if phase == "previsione":
        labels.update(
            {
                "stanziamento": f"Previsioni di competenza anno {year}",
                "stanziamento_anno_2": f"Previsioni di competenza anno {year + 1}",
                "stanziamento_anno_3": f"Previsioni di competenza anno {year + 2}",
                "fpv": "di cui Fondo pluriennale vincolato",
            }
        )
    for j, kind in enumerate(kinds):
        sheet.write(header_row, 2 + j, labels[kind], fmt["head"])
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 52)
    sheet.set_column(2, 1 + len(kinds), 18)
    pivot = agg.pivot(
        on="amount_kind",
        index=["missione", "programma", "titolo", "macroaggregato"],
        values="amount_cents",
        aggregate_function="sum",
    ).fill_null(0)
    mission_names, programme_names = _names(missions()), _names(programmes())
    title_names, macro_names = _names(titles()), _names(macroaggregates())
    row = header_row + 1

    def totals(frame):
        return [int(frame[k].sum()) if k in frame.columns else 0 for k in kinds]

    def put_row(label_a, label_b, values, bold=False):
        nonlocal row
        sheet.write(row, 0, label_a, fmt["bold"] if bold else None)
        sheet.write(row, 1, label_b, fmt["bold"] if bold else None)
        for j, value in enumerate(values):
            _put(sheet, row, 2 + j, value, fmt["boldnum" if bold else "num"], text_numbers)
        row += 1

    for mission in sorted(pivot["missione"].unique()):
        by_mission = pivot.filter(pl.col("missione") == mission)
        sheet.write(row, 0, f"MISSIONE {int(mission)}", fmt["bold"])
        sheet.write(row, 1, mission_names[mission], fmt["bold"])
        row += 1
        for programme in sorted(by_mission["programma"].unique()):
            by_programme = by_mission.filter(pl.col("programma") == programme)
            sheet.write(row, 0, f"PROGRAMMA {int(programme[3:])}", fmt["bold"])
            sheet.write(row, 1, programme_names[programme], fmt["bold"])
            row += 1
            for title in sorted(by_programme["titolo"].unique()):
                by_title = by_programme.filter(pl.col("titolo") == title)
                sheet.write(row, 0, f"Titolo {title}")
                sheet.write(row, 1, title_names[title])
                row += 1
                for record in by_title.sort("macroaggregato").iter_rows(named=True):
                    put_row(
                        record["macroaggregato"].replace(".", ""),
                        macro_names[record["macroaggregato"]],
                        [record.get(k, 0) for k in kinds],
                    )
                put_row(f"Totale Titolo {title}", "", totals(by_title), bold=True)
            put_row(
                f"TOTALE PROGRAMMA {int(programme[3:])}", programme_names[programme], totals(by_programme), bold=True
            )
        put_row(f"TOTALE MISSIONE {int(mission)}", mission_names[mission], totals(by_mission), bold=True)
    put_row("TOTALE GENERALE DELLE SPESE", "", totals(pivot), bold=True)
    sheet.freeze_panes(header_row + 1, 2)
    workbook.close()
    return path


def _open_format(agg: pl.DataFrame, path: Path, phase: str) -> Path:
    """CSV like the bodies' 'formato aperto' exports: latin-1, ';', CRLF, Italian numbers as text."""
    kinds = OPEN_FORMAT_KINDS[phase]
    mission_names = _names(missions())
    title_names, macro_names = _names(titles()), _names(macroaggregates())
    mission_codes = sorted(agg["missione"].unique())
    if "pagamenti" in kinds:  # the export's "Pagato" is payments on competence and on residues together
        agg = with_total_payments(agg)
    part = agg.filter(pl.col("amount_kind").is_in(list(kinds)))
    cells = {
        (r["titolo"], r["macroaggregato"], r["missione"], r["amount_kind"]): r["amount_cents"]
        for r in part.group_by("titolo", "macroaggregato", "missione", "amount_kind")
        .agg(pl.col("amount_cents").sum())
        .iter_rows(named=True)
    }
    top = (
        ["", ""]
        + [f" {mission_names[m].upper()} " if i == 0 else "" for m in mission_codes for i in range(len(kinds))]
        + ["TOTALE"]
        + [""] * (len(kinds) - 1)
    )
    bottom = (
        ["Titolo", "Macroaggregato"] + [label for _ in mission_codes for label in kinds.values()] + list(kinds.values())
    )
    out = [top, bottom, ["Rettifiche (righe non di spesa)", ""] + [""] * (len(bottom) - 2)]
    for title in ("1", "2", "3", "4", "7"):
        grand = [0] * (len(mission_codes) * len(kinds))
        macros = macroaggregates().filter(pl.col("parent_code") == title)
        for macro, regions_only in macros.select("code", "regions_only").iter_rows():
            values = [cells.get((title, macro, m, k), 0) for m in mission_codes for k in kinds]
            grand = [a + b for a, b in zip(grand, values)]
            totals = [sum(values[i :: len(kinds)]) for i in range(len(kinds))]
            label = f"MACROAGGR. {int(macro[2:])} - {macro_names[macro]}" + (
                " (solo per le Regioni)" if regions_only else ""
            )
            out.append([f"{title}-{title_names[title]}", label] + [it_number(v) for v in values + totals])
        totals = [sum(grand[i :: len(kinds)]) for i in range(len(kinds))]
        out.append([f"TOTALE TITOLO {title} - {title_names[title]}", ""] + [it_number(v) for v in grand + totals])
    all_values = [sum(cells.get((t, m2, m, k), 0) for (t, m2, mm, kk) in []) for m in mission_codes for k in kinds]
    all_values = [
        sum(v for (t, mac, m, k), v in cells.items() if m == mm and k == kk) for mm in mission_codes for kk in kinds
    ]
    out.append(
        ["TOTALE TITOLI", ""]
        + [it_number(v) for v in all_values + [sum(all_values[i :: len(kinds)]) for i in range(len(kinds))]]
    )
    out.append(["Note: importi in euro", ""] + [""] * (len(bottom) - 2))
    text = "\r\n".join(";".join(row) for row in out) + "\r\n"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    return path


BDAP_COLUMNS = [
    "Esercizio Finanziario",
    "Codice Tipologia Soggetto",
    "Descrizione Tipologia Soggetto",
    "Codice BDAP",
    "Denominazione Soggetto",
    "CF Soggetto",
    "Codice Regione",
    "Descrizione Regione",
    "Codice Provincia",
    "Descrizione Provincia",
    "Codice Comune",
    "Descrizione Comune",
    "Codice Missione",
    "Descrizione Missione",
]
BDAP_AMOUNTS = {
    "previsione": {
        "Previsioni in CC 1 Anno": "stanziamento",
        "Previsioni in CC 2 Anno": "stanziamento_anno_2",
        "Previsioni in CC 3 Anno": "stanziamento_anno_3",
    },
    "rendiconto": {
        "Previsioni Definitive di Competenza": "stanziamento",
        "Impegni": "impegni",
        "Totale Pagamenti": "pagamenti",
    },
}


def write_bdap(budgets: list[pl.DataFrame], path: Path, decoy_comuni: bool = True) -> Path:
    """A BDAP 'Riepilogo Missioni' CSV holding several bodies (plus their capoluogo comuni as decoys)."""
    phase = budgets[0]["phase"][0]
    amounts = BDAP_AMOUNTS[phase]
    mission_names = _names(missions())
    info = {r["istat_code"]: r for r in bodies().iter_rows(named=True)}
    rows = []
    for lines in budgets:
        body, year = lines["body"][0], lines["year"][0]
        b = info[body]
        if "pagamenti" in amounts.values():
            lines = pl.concat(
                [
                    lines,
                    lines.filter(
                        pl.col("amount_kind").is_in(["pagamenti_competenza", "pagamenti_residui"])
                    ).with_columns(amount_kind=pl.lit("pagamenti")),
                ]
            )
        sums = (
            lines.filter(pl.col("titolo").is_in(["1", "2", "3", "4", "5", "7"]))
            .group_by("missione", "amount_kind")
            .agg(pl.col("amount_cents").sum())
        )
        table = {(m, k): v for m, k, v in sums.iter_rows()}
        subjects = [("PROVINCE/CITTA' METROPOLITANE", b["ente_denominazione"].upper(), 1.0)]
        if decoy_comuni:
            subjects.append(("COMUNI", f"COMUNE DI {b['capoluogo'].upper()}", 0.7))
        for kind_label, name, factor in subjects:
            for mission in sorted({m for m, _ in table}):
                values = [f"{table.get((mission, code), 0) * factor / 100:.2f}" for code in amounts.values()]
                rows.append(
                    [
                        str(year),
                        "1" if kind_label.startswith("PROV") else "2",
                        kind_label,
                        f"9{body}00{len(rows)}",
                        name,
                        "00000000000",
                        b["region_code"],
                        b["region"].upper(),
                        b["historical_province_code"],
                        b["name"].upper(),
                        "001",
                        b["capoluogo"].upper(),
                        mission,
                        mission_names[mission].upper(),
                        *values,
                    ]
                )
    header = BDAP_COLUMNS + list(amounts)
    quoted = ['"' + '";"'.join(row) + '"' for row in [header] + rows]
    path.write_bytes(("\r\n".join(quoted) + "\r\n").encode("latin-1", errors="replace"))
    return path
