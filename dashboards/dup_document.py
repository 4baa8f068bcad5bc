"""The DUP (Documento Unico di Programmazione) as a Word document a planner opens and edits: one per body, year and
phase, beside the workbook (``pipelines.stage_outputs.stage_reports``).

Title page, table of contents (a real Word field), **Sezione Strategica** (the method and the spending picture, then
the strategic objectives by mission, from the portfolio), **Sezione Operativa, parte prima** (one entry per programme
of the restructuring plan, written by ``dashboards.dup_operative``; the other classified programmes in a table) and
the **annex** with the matrix chart and the ranking. "Pagina n di m" in the footer. Every word is data
(``data/plans/dup_document.yaml``, Italian and English, with ``DupInputs`` in ``dashboards.dup_inputs``); every figure
is written by ``transforms.figures``; Word parts python-docx lacks (fields, fast bordered tables) are
``dashboards.docx_parts``.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from dashboards import docx_parts as parts
from dashboards import dup_operative
from dashboards.dup_inputs import (  # noqa: F401 (re-exported)
    DupInputs,
    _data,
    mission_names,
    per_capita_words,
    period,
    position,
    stem,
    words,
)
from dashboards.words import label, named
from sources.catalogues import quadrants
from sources.reference import body_name
from transforms.classify import REASONS
from transforms.figures import article_percent, euro_words, share_of_spending


def write_dup(inputs: DupInputs, path: Path) -> Path:
    """Write the document to ``path`` (bytes that depend only on the inputs: a rerun writes the same file)."""
    document = Document()
    w = inputs.w
    parts.base_styles(document, inputs.lang)
    section = document.sections[0]
    parts.a4(section)
    section.different_first_page_header_footer = True  # the title page without header and footer
    header = section.header.paragraphs[0]
    header.text = f"{body_name(inputs.body)} – {inputs.period_text()}"
    header.runs[0].font.size, header.alignment = Pt(8), WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    parts.page_of(footer, w["page"])
    for run in footer.runs:
        run.font.size = Pt(8)
    _title_page(document, inputs)
    strategic = _strategic_headings(inputs)
    operative = dup_operative.headings(inputs)
    parts.paragraph(document, w["contents"], style="TOC Heading")
    parts.table_of_contents(
        document,
        _data()["toc_instruction"],
        [(1, w["ses"]), *[(2, h) for h in strategic], (1, w["seo"]), *[(2, h) for h in operative], (1, w["annex"])],
    )
    parts.update_fields_on_open(document)
    _page_break(document)
    _strategic(document, inputs)
    _page_break(document)
    dup_operative.write(document, inputs)
    _page_break(document)
    _annex(document, inputs)
    document.core_properties.title = f"{w['document']} – {body_name(inputs.body)} – {inputs.period_text()}"
    document.core_properties.author = "areavasta"
    document.core_properties.language = "it-IT" if inputs.lang == "it" else "en-GB"
    document.core_properties.comments = f"manifest {inputs.manifest_id}" if inputs.manifest_id else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(parts.stable_bytes(document, inputs.as_of))
    return path


def _page_break(document) -> None:
    parts.page_break(document)


def _title_page(document, inputs: DupInputs) -> None:
    w = inputs.w
    for _ in range(5):
        document.add_paragraph()
    for text, size, bold in (
        (body_name(inputs.body), 22, True),
        (w["document"], 18, False),
        (inputs.period_text(), 28, True),
    ):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size, run.bold, run.font.color.rgb = Pt(size), bold, parts.BLUE
    basis = w["basis"][inputs.phase].format(year=inputs.year)
    if inputs.open_data:
        basis += f" – {w['open_data'].format(files=inputs.open_data)}"
    for text in (
        "",
        basis,
        "",
        w["draft"].format(body=inputs.body),
        w["made_with"].format(workbook=inputs.workbook),
        w["manifest"].format(id=inputs.manifest_id) if inputs.manifest_id else "",
        inputs.units_problem or "",
    ):
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = Cm(1.5)
    _page_break(document)


# Sezione Strategica ------------------------------------------------------------------------------------------------


def _mission_codes(inputs: DupInputs) -> list[str]:
    """Missions with a programme in the ranking or in the plan, in the budget's order."""
    codes = set(inputs.ranked["function"].to_list()) if inputs.ranked.height else set()
    codes |= {p["function"] for p in inputs.plans}
    return sorted({c.split(".")[0] for c in codes})


def _strategic_headings(inputs: DupInputs) -> list[str]:
    return [inputs.w["ses_context"], inputs.w["ses_missions"]]


def _strategic(document, inputs: DupInputs) -> None:
    w, lang = inputs.w, inputs.lang
    parts.heading(document, w["ses"], 1)
    parts.heading(document, w["ses_context"], 2)
    table = quadrants()
    modes = "; ".join(
        w["mode"].format(governance=r[f"governance_{lang}"], service_type=r[f"service_type_{lang}"])
        for r in table.iter_rows(named=True)
    )
    parts.paragraph(document, " ".join(w["method"].split()).format(modes=modes))
    b = inputs.body_figures or {}
    detail = "has_macro_detail" not in inputs.functions.columns or bool(
        inputs.functions["has_macro_detail"].fill_null(False).any()
    )
    parts.paragraph(
        document,
        " ".join(w["figures" if detail else "figures_no_detail"].split()).format(
            year=inputs.year,
            verb=w["verb"][inputs.phase],
            spending=euro_words(b.get("total_cents"), lang),
            per_capita=per_capita_words(b.get("per_capita_eur"), lang),
            rigidity=article_percent(b.get("rigidity_share"), lang),
            staff=article_percent(b.get("staff_share"), lang),
            transfers=article_percent(b.get("transfer_share"), lang),
        ),
    )
    classified = inputs.functions.filter(pl.col("quadrant").is_not_null())
    if classified.height:
        counts = (
            classified.group_by(f"service_type_{lang}")
            .len()
            .sort("len", f"service_type_{lang}", descending=[True, False])
        )
        parts.paragraph(
            document,
            w["quadrant_count"].format(
                n=classified.height,
                parts=", ".join(w["quadrant_part"].format(k=k, service_type=s) for s, k in counts.iter_rows()),
            ),
        )
    if inputs.ranked.height:
        kinds = label("plan_kinds", lang)
        counted = (
            pl.DataFrame({"k": [p["plan_kind"] for p in inputs.plans]}, schema={"k": pl.String})
            .group_by("k")
            .len()
            .sort("len", "k", descending=[True, False])
        )
        parts.paragraph(
            document,
            w["ranking_count"].format(
                n=inputs.ranked.height,
                plans=len(inputs.plans),
                kinds=", ".join(w["kind_count"].format(k=n, kind=kinds.get(k, k)) for k, n in counted.iter_rows()),
            ),
        )
    else:
        parts.paragraph(document, w["no_ranking"])
    parts.heading(document, w["ses_missions"], 2)
    parts.paragraph(document, " ".join(w["missions_intro"].split()))
    for code in _mission_codes(inputs):
        _mission(document, inputs, code)


def _mission(document, inputs: DupInputs, code: str) -> None:
    w, lang = inputs.w, inputs.lang
    parts.heading(document, w["mission_heading"].format(code=code, name=mission_names().get(code, "")), 3)
    inside = inputs.functions.filter((pl.col("function") == code) | pl.col("function").str.starts_with(code + "."))
    body_total = (inputs.body_figures or {}).get("total_cents") or 0
    spent = int(inside["total_cents"].sum() or 0)
    parts.paragraph(
        document,
        w["mission_weight"].format(
            year=inputs.year,
            share=article_percent(spent / body_total if body_total else None, lang),
            spending=euro_words(spent, lang),
        ),
        keep_next=True,
    )
    ranked = {r["function"]: r for r in inputs.ranked.iter_rows(named=True)}
    plans = {p["function"]: p for p in inputs.plans}
    rows = {r["function"]: r for r in inside.iter_rows(named=True)}
    wanted = sorted(f for f in set(ranked) | set(plans) if f == code or f.startswith(code + "."))
    by_kind: dict[str, list[str]] = {}
    for function in wanted:
        row = {**rows.get(function, {}), **plans.get(function, {}), **ranked.get(function, {})}
        parts.paragraph(document, programme_line(row, ranked, w, lang, body_total), "ListBullet", keep_next=True)
        kind = plans[function]["plan_kind"] if function in plans else "ordinary"
        by_kind.setdefault(kind, []).append(f"{function} {named(row, lang)}")
    objective = "; ".join(
        w["objectives"][k].format(names=", ".join(n))
        for k, n in sorted(by_kind.items(), key=lambda x: _KIND_ORDER.index(x[0]))
    )
    parts.paragraph(document, [(w["objective_label"], True), (objective + ".", False)])


_KIND_ORDER = ["development", "maintain", "delegation", "split", "handover", "ordinary"]


def programme_line(row: dict, ranked: dict, w: dict, lang: str, body_total: int) -> str:
    """One programme in the method's words: its weight, its quadrant and governance mode, its place in the ranking."""
    share = share_of_spending((row.get("total_cents") or 0) / body_total if body_total else None, lang)
    if not row.get("quadrant"):
        reason = REASONS.get(row.get("not_classified") or "", (w["not_classified"],) * 2)[0 if lang == "it" else 1]
        return w["programme_unclassified"].format(
            code=row["function"],
            name=named(row, lang),
            share=share,
            reason=reason,
            position=position(row, len(ranked), w, lang, reasons=False),
        )
    return w["programme_line"].format(
        code=row["function"],
        name=named(row, lang),
        share=share,
        service_type=row.get(f"service_type_{lang}") or w["not_classified"],
        governance=row.get(f"governance_{lang}") or "-",
        position=position(row, len(ranked), w, lang, reasons=False),
    )


# Annex ------------------------------------------------------------------------------------------------------------


def _annex(document, inputs: DupInputs) -> None:
    w, lang = inputs.w, inputs.lang
    parts.heading(document, w["annex"], 1)
    parts.heading(document, w["annex_matrix"], 2)
    if inputs.chart_png:
        parts.paragraph(document, " ".join(w["annex_intro"].split()))
        document.add_picture(io.BytesIO(inputs.chart_png), width=Cm(parts.TEXT_WIDTH_CM - 0.5))
    else:
        parts.paragraph(document, w["no_chart"])
    parts.heading(document, w["annex_ranking"], 2)
    rows = (
        [
            [
                str(r["rank"]),
                r["function"],
                named(r, lang),
                w["score"].format(score=f"{r['score']:.0f}"),
                r.get(f"tier_{lang}") or "",
                r.get(f"reasons_{lang}") or "",
            ]
            for r in inputs.ranked.sort("rank").iter_rows(named=True)
        ]
        if inputs.ranked.height
        else []
    )
    if rows:
        parts.table(document, w["ranking_header"], rows, [0.9, 1.6, 4.4, 2.1, 2.2, 5.8], size=8)
    else:
        parts.paragraph(document, w["no_ranking"])
