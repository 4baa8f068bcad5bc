"""Word parts python-docx does not offer: fields (page numbers, table of contents), A4 pages, bordered tables of fixed
column widths that print whole, and a file whose bytes depend only on its content (a rerun writes the same file).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from xml.sax.saxutils import escape

from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BLUE = RGBColor(0x1F, 0x4E, 0x79)
HEADER_FILL = "DDE8F3"
PAGE_WIDTH_CM, MARGIN_CM = 21.0, 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM


def _append(parent, tag: str, **attributes) -> OxmlElement:
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(name), value)
    parent.append(element)
    return element


def field(paragraph, instruction: str, shown: str = "1") -> None:
    """A Word field (``PAGE``, ``NUMPAGES``, ``TOC …``) with ``shown`` as its result until Word or LibreOffice updates
    it."""
    _append(paragraph.add_run()._r, "w:fldChar", **{"w:fldCharType": "begin"})
    code = _append(paragraph.add_run()._r, "w:instrText", **{"xml:space": "preserve"})
    code.text = f" {instruction} "
    _append(paragraph.add_run()._r, "w:fldChar", **{"w:fldCharType": "separate"})
    paragraph.add_run(shown)
    _append(paragraph.add_run()._r, "w:fldChar", **{"w:fldCharType": "end"})


def page_of(paragraph, pattern: str) -> None:
    """ "Pagina {n} di {m}" with the page number and the page count as fields."""
    before, _, rest = pattern.partition("{n}")
    middle, _, after = rest.partition("{m}")
    paragraph.add_run(before)
    field(paragraph, "PAGE")
    paragraph.add_run(middle)
    field(paragraph, "NUMPAGES")
    paragraph.add_run(after)


def table_of_contents(document, instruction: str, entries: list[tuple[int, str]]) -> None:
    """A real table-of-contents field whose current result is the list of ``entries`` (level, heading).

    Word refreshes the field when the document opens (``update_fields_on_open``) and puts the page numbers in;
    LibreOffice keeps the result as written until "Aggiorna indice", and a headless conversion to PDF prints it so: the
    headings are there, in the field, instead of an empty index."""
    paragraphs = []
    for level, text in entries:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.8 * (level - 1))
        paragraph.paragraph_format.space_after = Pt(2)
        paragraphs.append((paragraph, text, level))
    first = paragraphs[0][0]
    _append(first.add_run()._r, "w:fldChar", **{"w:fldCharType": "begin"})
    code = _append(first.add_run()._r, "w:instrText", **{"xml:space": "preserve"})
    code.text = f" {instruction} "
    _append(first.add_run()._r, "w:fldChar", **{"w:fldCharType": "separate"})
    for paragraph, text, level in paragraphs:
        paragraph.add_run(text).bold = level == 1
    _append(paragraphs[-1][0].add_run()._r, "w:fldChar", **{"w:fldCharType": "end"})


# the elements w:updateFields comes before in w:settings (ECMA-376 sequence): Word refuses settings out of order
_AFTER_UPDATE_FIELDS = {
    "hdrShapeDefaults",
    "footnotePr",
    "endnotePr",
    "compat",
    "docVars",
    "rsids",
    "mathPr",
    "attachedSchema",
    "themeFontLang",
    "clrSchemeMapping",
    "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures",
    "forceUpgrade",
    "captions",
    "readModeInkLockDown",
    "smartTagType",
    "schemaLibrary",
    "shapeDefaults",
    "doNotEmbedSmartTags",
    "decimalSymbol",
    "listSeparator",
}


def update_fields_on_open(document) -> None:
    """``w:updateFields``: Word asks to update the fields (the table of contents, the page count) when it opens the
    file."""
    settings = document.settings.element
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    later = next((child for child in settings if child.tag.rpartition("}")[2] in _AFTER_UPDATE_FIELDS), None)
    if later is not None:
        later.addprevious(element)
    else:
        settings.append(element)


def a4(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(29.7)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(1.8)
    section.header_distance = section.footer_distance = Cm(0.9)


def base_styles(document, lang: str) -> None:
    """Body text 10 pt, headings in the report's blue, the document's language for the spelling checker."""
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    r_pr = normal.element.get_or_add_rPr()
    _append(r_pr, "w:lang", **{"w:val": "it-IT" if lang == "it" else "en-GB"})
    for name, size in (("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11.5)):
        style = styles[name]
        style.font.name, style.font.size, style.font.color.rgb, style.font.bold = "Calibri", Pt(size), BLUE, True
        style.paragraph_format.space_before, style.paragraph_format.space_after = (
            Pt(12 if name != "Heading 3" else 10),
            Pt(4),
        )
        style.paragraph_format.keep_with_next = True
    styles["Title"].font.color.rgb = BLUE


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TWIPS_PER_CM = 567


def _text(value) -> str:
    """Text for a ``w:t``: XML-escaped, control characters (a pasted unit name) left out, "45 %" kept on one line."""
    text = str(value if value is not None else "").replace(" %", "\u00a0%")
    return escape("".join(c for c in text if c >= " " or c == "\t"))


def _runs_xml(runs, size: float | None = None) -> str:
    """Runs as WordprocessingML: ``runs`` is a text, or (text, bold) pairs."""
    out = []
    for text, bold in [(runs, False)] if isinstance(runs, str) else runs:
        props = ("<w:b/>" if bold else "") + (
            f'<w:sz w:val="{round(size * 2)}"/><w:szCs w:val="{round(size * 2)}"/>' if size else ""
        )
        out.append(
            f'<w:r>{f"<w:rPr>{props}</w:rPr>" if props else ""}<w:t xml:space="preserve">{_text(text)}</w:t></w:r>'
        )
    return "".join(out)


def _paragraph_xml(
    runs,
    style: str | None = None,
    size: float | None = None,
    align: str | None = None,
    keep_next: bool = False,
    after_pt: float | None = None,
    before_pt: float | None = None,
) -> str:
    props = (f'<w:pStyle w:val="{style}"/>' if style else "") + ("<w:keepNext/>" if keep_next else "")
    if after_pt is not None or before_pt is not None:
        props += (
            "<w:spacing"
            + (f' w:before="{round(before_pt * 20)}"' if before_pt is not None else "")
            + (f' w:after="{round(after_pt * 20)}"' if after_pt is not None else "")
            + "/>"
        )
    props += f'<w:jc w:val="{align}"/>' if align else ""
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{_runs_xml(runs, size)}</w:p>"


def _insert(document, xml: str):
    """Parse a piece of body XML and put it at the end of the document, before its section properties. Much faster than
    python-docx's one-element-at-a-time API for the DUP's hundreds of table cells (about a tenth of the time)."""
    element = parse_xml(f'<w:wrap xmlns:w="{W_NS}">{xml}</w:wrap>')
    body = document.element.body
    last = body.sectPr
    for child in list(element):
        if last is not None:
            last.addprevious(child)
        else:
            body.append(child)
    return child


def paragraph(document, runs, style: str | None = None, **options):
    """A paragraph of ``runs`` (a text, or (text, bold) pairs), with a style id ("Heading2", "ListBullet")."""
    return _insert(document, _paragraph_xml(runs, style, **options))


def page_break(document) -> None:
    _insert(document, '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')


def heading(document, text: str, level: int):
    return paragraph(document, text, f"Heading{level}")


def table(
    document,
    header: list[str] | None,
    rows: list[list[str]],
    widths_cm: list[float],
    *,
    label_column: bool = False,
    size: float = 9,
    right: tuple[int, ...] = (),
):
    """A bordered table of fixed column widths (summing to the text width at most: nothing runs off the page), the
    header shaded and repeated on every page, rows kept whole; ``label_column``: the first column bold and shaded (a
    record); ``right``: columns of figures, aligned right."""
    widths = [round(w * TWIPS_PER_CM) for w in widths_cm]
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>'

    def row(values: list[str], is_header: bool) -> str:
        cells = []
        for i, (value, width) in enumerate(zip(values, widths)):
            bold = is_header or (label_column and i == 0)
            fill = shade if bold else ""
            text = _paragraph_xml([(value, bold)], size=size, align="right" if i in right else None, after_pt=0)
            cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{fill}</w:tcPr>{text}</w:tc>')
        return f"<w:tr><w:trPr><w:cantSplit/>{'<w:tblHeader/>' if is_header else ''}</w:trPr>{''.join(cells)}</w:tr>"

    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    body = (row(header, True) if header else "") + "".join(row(values, False) for values in rows)
    xml = (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
        '<w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0"'
        ' w:noHBand="0" w:noVBand="1"/>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>" + _paragraph_xml("", after_pt=2)
    )  # Word joins two tables with nothing between them
    return _insert(document, xml)


def stable_bytes(document, when: dt.datetime | None) -> bytes:
    """The .docx as bytes that depend only on its content: the package's dates set to ``when`` (the latest receipt among
    the inputs, as the workbook's), every zip entry stamped with it (python-docx stamps them with the time of
    saving)."""
    moment = (when or dt.datetime(2000, 1, 1)).replace(tzinfo=None, microsecond=0)
    properties = document.core_properties
    properties.created = properties.modified = moment
    properties.last_printed = moment
    properties.revision = 1
    properties.last_modified_by = "areavasta"
    raw = io.BytesIO()
    document.save(raw)
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
