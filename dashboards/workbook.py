"""The Excel report: one workbook per body, year and phase, Italian, styled for reading and printing.

Sheets: Sintesi, Matrice (table and chart), Priorità, Piano di riassetto, Scenari, Dati, Controlli,
Metodo. Values only (no formulas). Every text that comes from inputs is written with
``write_string``, so no cell can become a formula whatever it starts with (``=``, ``+``, ``-``, ``@``).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

from areavasta.reference import body_name

EURO = '[$€-410] #,##0'
STATUS_IT = {"retained": "mantenuta", "transferred": "trasferita", "delegated": "delegata", "mixed": "mista", "not_applicable": "n.a."}


@dataclass
class ReportInputs:
    body: str
    year: int
    phase: str
    functions: pl.DataFrame            # classified functions of this body, year, phase
    body_figures: dict                 # row of bodies.csv
    ranked: pl.DataFrame               # portfolio rows
    projects: pl.DataFrame             # plans
    projection: pl.DataFrame
    kpis: pl.DataFrame
    phases: pl.DataFrame
    risks: pl.DataFrame
    scenarios: pl.DataFrame            # scenario comparison (name, projected_year, total)
    uploads: pl.DataFrame              # files behind these numbers
    strategy: pl.DataFrame | None = None  # actors, resources, alternative delivery modes per function
    findings: list[dict] = field(default_factory=list)   # warnings of the accepted files
    parameters: dict = field(default_factory=dict)
    catalogue_versions: dict = field(default_factory=dict)
    chart_png: bytes | None = None


class _Sheet:
    """A worksheet with a cursor and the report's formats; every text goes through write_string."""

    def __init__(self, workbook, name, fmt, widths):
        self.ws = workbook.add_worksheet(name)
        self.fmt = fmt
        self.row = 0
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)
        self.ws.set_landscape()
        self.ws.fit_to_pages(1, 0)
        self.ws.set_paper(9)  # A4

    def value(self, col, value, kind="text", style=None):
        row = self.row
        if value is None:
            self.ws.write_blank(row, col, None, self.fmt.get(style))
        elif kind == "euro":
            self.ws.write_number(row, col, value / 100, self.fmt["euro_bold" if style == "bold" else "euro"])
        elif kind == "pct":
            self.ws.write_number(row, col, value, self.fmt["pct"])
        elif kind == "num":
            self.ws.write_number(row, col, value, self.fmt["num"])
        elif kind == "int":
            self.ws.write_number(row, col, value, self.fmt.get(style))
        else:
            self.ws.write_string(row, col, str(value), self.fmt.get(style))

    def line(self, *cells, style=None):
        for col, cell in enumerate(cells):
            value, kind = cell if isinstance(cell, tuple) else (cell, "text")
            self.value(col, value, kind, style)
        self.row += 1

    def header(self, *titles):
        self.ws.write_row(self.row, 0, titles, self.fmt["header"])
        self.ws.freeze_panes(self.row + 1, 0)
        self.first_data = self.row
        self.row += 1

    def title(self, text, subtitle=None):
        self.ws.write_string(self.row, 0, text, self.fmt["title"])
        self.row += 1
        if subtitle:
            self.ws.write_string(self.row, 0, subtitle, self.fmt["subtitle"])
            self.row += 1
        self.row += 1

    def autofilter(self, columns):
        if self.row > self.first_data + 1:
            self.ws.autofilter(self.first_data, 0, self.row - 1, columns - 1)


def _formats(workbook) -> dict:
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14, "font_color": "#1f4e79"}),
        "subtitle": workbook.add_format({"italic": True, "font_color": "#555555"}),
        "header": workbook.add_format({"bold": True, "bg_color": "#dde8f3", "border": 1, "text_wrap": True, "valign": "top"}),
        "bold": workbook.add_format({"bold": True}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "euro": workbook.add_format({"num_format": EURO}),
        "euro_bold": workbook.add_format({"num_format": EURO, "bold": True}),
        "pct": workbook.add_format({"num_format": "0%"}),
        "num": workbook.add_format({"num_format": "0.00"}),
    }


def write_report(inputs: ReportInputs, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": f"areavasta - {body_name(inputs.body)} {inputs.year} {inputs.phase}", "author": "areavasta"})
    fmt = _formats(workbook)
    _summary(workbook, fmt, inputs)
    _matrix(workbook, fmt, inputs)
    _priorities(workbook, fmt, inputs)
    _strategy(workbook, fmt, inputs)
    _plan(workbook, fmt, inputs)
    _scenarios(workbook, fmt, inputs)
    _data(workbook, fmt, inputs)
    _checks(workbook, fmt, inputs)
    _method(workbook, fmt, inputs)
    workbook.close()
    return path


def _heading(inputs) -> str:
    phase = "bilancio di previsione" if inputs.phase == "previsione" else "rendiconto"
    return f"{body_name(inputs.body)} - {phase} {inputs.year}"


def _png_display_height(png: bytes) -> float:
    """Height in screen pixels as a spreadsheet shows it (96 dpi, after the PNG's own pHYs density)."""
    height = int.from_bytes(png[20:24], "big")  # IHDR height
    at = png.find(b"pHYs")
    if at > 0 and png[at + 12] == 1:  # unit: metre
        dpi = int.from_bytes(png[at + 8:at + 12], "big") * 0.0254
        return height * 96 / dpi
    return height


def _summary(workbook, fmt, inputs):
    s = _Sheet(workbook, "Sintesi", fmt, [58, 16, 18, 90])
    s.title("Sintesi", _heading(inputs))
    b = inputs.body_figures
    s.line("Spesa dei titoli 1 e 2", (b.get("total_cents"), "euro"))
    s.line("Spesa per abitante (euro)", (b.get("per_capita_eur"), "num"))
    s.line("Rigidità della spesa (personale, interessi, rimborso prestiti)", (b.get("rigidity_share"), "pct"))
    s.line("di cui personale", (b.get("staff_share"), "pct"))
    s.line("di cui servizio del debito", (b.get("debt_service_share"), "pct"))
    s.line("Quota di trasferimenti", (b.get("transfer_share"), "pct"))
    s.row += 1
    s.line("Funzioni per quadrante della matrice", "funzioni", "spesa", style="bold")
    counts = inputs.functions.group_by("quadrant").agg(n=pl.len(), spend=pl.col("total_cents").sum()).sort("quadrant", nulls_last=True)
    for quadrant, n, spend in counts.iter_rows():
        label = inputs.functions.filter(pl.col("quadrant") == quadrant)["service_type_it"].first() if quadrant else "non classificate"
        s.line(label or quadrant, (n, "int"), (spend, "euro"))
    s.row += 1
    s.line("Dove intervenire per prime (priorità più alte)", style="bold")
    for r in inputs.ranked.head(5).iter_rows(named=True):
        s.line(f"{r['rank']}. {r['function']} {r.get('name') or ''}", f"{r['score']:.1f} / 100", r["tier_it"], r["reasons_it"] or "")
    s.row += 1
    s.line("Progetti di sviluppo nel piano di riassetto", (inputs.projects.height, "int"))


def _matrix(workbook, fmt, inputs):
    s = _Sheet(workbook, "Matrice", fmt, [9, 36, 12, 16, 11, 10, 22, 26, 9, 70, 30])
    s.title("Matrice per tipologia di spesa e grado di autorità", _heading(inputs))
    if inputs.chart_png:
        scale = 0.5
        s.ws.insert_image(s.row, 0, "matrice.png", {"image_data": io.BytesIO(inputs.chart_png), "x_scale": scale, "y_scale": scale})
        s.row += int(_png_display_height(inputs.chart_png) * scale / 20) + 2  # default rows are 20 px high
    s.header("Codice", "Funzione", "Stato", "Spesa", "Trasferimenti", "Autorità", "Tipo di servizio", "Modello di governo",
             "Vicina a soglia", "Spiegazione", "Modifiche dell'ente")
    for r in inputs.functions.sort(pl.col("quadrant").is_null(), "function").iter_rows(named=True):
        s.line(r["function"], r.get("name") or "", STATUS_IT.get(r.get("status"), r.get("status") or ""), (r["total_cents"], "euro"),
               (r.get("transfer_share"), "pct"), (r.get("authority"), "num"), r.get("service_type_it") or "",
               r.get("governance_it") or "", "sì" if r.get("borderline") else "", r.get("explanation_it") or "", r.get("override_note") or "")
    s.autofilter(11)


def _priorities(workbook, fmt, inputs):
    s = _Sheet(workbook, "Priorità", fmt, [7, 9, 36, 9, 20, 10, 10, 10, 10, 10, 10, 70, 40])
    s.title("Analisi di portafoglio: priorità di intervento", "Punteggio 0-100 e componenti (0-1); metodo nel foglio Metodo")
    s.header("Rango", "Codice", "Funzione", "Punteggio", "Fascia", "Dimensione", "Manovrabilità", "Trasformabilità",
             "Scarto dai pari", "Tendenza", "Stato", "Perché", "Segnalazioni")
    for r in inputs.ranked.iter_rows(named=True):
        s.line((r["rank"], "int"), r["function"], r.get("name") or "", (r["score"], "num"), r["tier_it"],
               *[(r.get(f"c_{c}"), "num") for c in ("size", "manoeuvrability", "transformation", "peer_gap", "trend", "status")],
               r["reasons_it"] or "", ", ".join(r["flags"] or []))
    s.autofilter(13)


def _strategy(workbook, fmt, inputs):
    s = _Sheet(workbook, "Analisi strategica", fmt, [9, 22, 30, 50, 60, 12])
    s.title("Analisi strategica: soggetti, risorse, modalità alternative", "Dal catalogo per quadrante e per programma (modificabile dall'ente)")
    s.header("Codice", "Quadrante", "Soggetto", "Risorse che porta", "Modalità alternativa di erogazione", "Fonte")
    if inputs.strategy is not None:
        for r in inputs.strategy.iter_rows(named=True):
            s.line(r["function"], r["quadrant"], r["actor"], r["resources_it"], r["delivery_mode_it"], r["source"])
    s.autofilter(6)


def _plan(workbook, fmt, inputs):
    s = _Sheet(workbook, "Piano di riassetto", fmt, [30, 110])
    s.title("Piano di riassetto: progetti di sviluppo", _heading(inputs))
    names = {"commissioning": "più committenza", "change_management": "change management", "asset_valorisation": "valorizzazione del patrimonio",
             "procurement": "migliore procurement", "coproduction": "co-produzione"}
    for p in inputs.projects.iter_rows(named=True):
        s.line(f"{p['function']} {p.get('name') or ''}", style="bold")
        rows = [
            ("Posizione attuale (griglia di Bovaird)", p.get("current_position")),
            ("Posizione obiettivo", p.get("target_position")),
            ("Logiche di risposta", ", ".join(names.get(x, x) for x in p["logics"]) + f" ({p.get('logic_reasons') or ''})"),
            ("Forme di co-produzione", p.get("coproduction_types_it")),
            ("Strumenti", p.get("instrument_it")),
            ("Esperienze di riferimento", p.get("examples")),
            ("Fasi", "; ".join(f"{r['label_it']} ({r['months_from']}-{r['months_to']} mesi): {r['description_it']}" for r in inputs.phases.iter_rows(named=True))),
            ("Rischi", "; ".join(f"{r['label_it']}: {r['mitigation_it']}" for r in inputs.risks.iter_rows(named=True))),
        ]
        for label, text in rows:
            s.ws.write_string(s.row, 0, label, fmt["bold"])
            s.ws.write_string(s.row, 1, text or "", fmt["wrap"])
            s.row += 1
        s.ws.write_string(s.row, 0, "Risorse di avvio", fmt["bold"])
        s.ws.write_number(s.row, 1, p["kick_start_cents"] / 100, fmt["euro"])
        s.row += 1
        s.ws.write_string(s.row, 0, "Effetto atteso annuo (min - max)", fmt["bold"])
        s.ws.write_string(s.row, 1, f"{p['effect_low_cents'] / 100:,.0f} - {p['effect_high_cents'] / 100:,.0f} euro".replace(",", "."), fmt["wrap"])
        s.row += 1
        for k in inputs.kpis.filter(pl.col("function") == p["function"]).iter_rows(named=True):
            s.ws.write_string(s.row, 0, f"Indicatore: {k['label']}", fmt["bold"])
            kind = "num" if k["format"] == "eur" else "pct"
            s.ws.write_number(s.row, 1, k["baseline"] or 0, fmt[kind])
            s.row += 1
        s.ws.write_string(s.row, 0, "Testo per il DUP", fmt["bold"])
        s.ws.write_string(s.row, 1, p["dup_text"], fmt["wrap"])
        s.ws.set_row(s.row, 220)
        s.row += 2


def _scenarios(workbook, fmt, inputs):
    """Side by side: one column per scenario, one row per projected year (parameters in the Metodo sheet)."""
    names = ["base", *sorted(n for n in inputs.scenarios["scenario"].unique().to_list() if n != "base")]
    s = _Sheet(workbook, "Scenari", fmt, [12] + [22] * len(names))
    s.title("Scenari: spesa proiettata delle funzioni nel piano, prossimi tre anni",
            "Base = andamento attuale senza piano; ogni scenario = effetto medio atteso × adozione (parametri nel foglio Metodo)")
    s.header("Anno", *names)
    wide = inputs.scenarios.pivot(on="scenario", index="projected_year", values="total_cents").sort("projected_year")
    for r in wide.iter_rows(named=True):
        s.line((r["projected_year"], "int"), *[(r.get(n), "euro") for n in names])


def _data(workbook, fmt, inputs):
    columns = ["function", "name", "kind", "coarse", "total_cents", "per_capita_eur", "transfer_share", "operating_share",
               "financial_share", "rigid_share", "capital_share", "authority", "quadrant", "not_classified"]
    labels = ["Codice", "Funzione", "Tipo", "Solo missione", "Spesa", "Per abitante", "Trasferimenti", "Funzionamento",
              "Finanziaria", "Rigida", "Capitale", "Autorità", "Quadrante", "Non classificata perché"]
    s = _Sheet(workbook, "Dati", fmt, [9, 40, 12, 8, 16, 12, 11, 11, 11, 11, 11, 9, 12, 40])
    s.title("Dati per funzione", _heading(inputs))
    s.header(*labels)
    kinds = {"total_cents": "euro", "per_capita_eur": "num", "authority": "num"}
    for r in inputs.functions.sort("function").iter_rows(named=True):
        cells = []
        for c in columns:
            v = r.get(c)
            if c.endswith("_share"):
                cells.append((v, "pct"))
            elif c in kinds:
                cells.append((v, kinds[c]))
            elif isinstance(v, bool):
                cells.append("sì" if v else "")
            else:
                cells.append("" if v is None else str(v))
        s.line(*cells)
    s.autofilter(len(columns))


def _checks(workbook, fmt, inputs):
    s = _Sheet(workbook, "Controlli", fmt, [40, 20, 14, 12, 70])
    s.title("Controlli sui file ricevuti", "Gli errori bloccano il caricamento; qui restano gli avvisi dei file accettati")
    s.header("File", "Foglio", "Cella", "Codice", "Messaggio")
    for f in inputs.findings:
        s.line(f.get("file") or "", f.get("sheet") or "", f.get("cell") or (str(f.get("row")) if f.get("row") else ""), f.get("code") or "", f.get("message") or "")
    if not inputs.findings:
        s.line("Nessun avviso sui file in uso.")


def _method(workbook, fmt, inputs):
    s = _Sheet(workbook, "Metodo", fmt, [44, 100])
    s.title("Metodo: parametri, cataloghi e file di origine", "Con questi elementi i numeri del rapporto si riproducono")
    s.line("Parametri", style="bold")
    for key, value in inputs.parameters.items():
        s.line(key, json.dumps(value, ensure_ascii=False, default=str))
    s.row += 1
    s.line("Cataloghi (SHA-256)", style="bold")
    for name, digest in inputs.catalogue_versions.items():
        s.line(name, digest)
    s.row += 1
    s.line("File di origine", style="bold")
    for u in inputs.uploads.iter_rows(named=True):
        s.line(u["original_name"], f"SHA-256 {u['sha256']} - formato {u['layout']} - ricevuto {u['received_at']} da {u['received_by']} - {u['status']}")
