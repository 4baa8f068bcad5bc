"""The template an officer fills: wrong codes and amounts stopped by Excel, instructions that say where to send it
and print on A4 without a cut line."""

from __future__ import annotations

import re
import subprocess

import openpyxl
import pytest

from sources.template import INSTRUCTIONS, write_template
from tests.office import office_tools


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("t") / "modello.xlsx", "002", 2026, "previsione")


def test_codes_and_amounts_are_stop_errors(template):
    sheet = openpyxl.load_workbook(template)["Dati"]
    validations = sheet.data_validations.dataValidation
    kinds = {dv.type for dv in validations}
    assert {"list", "decimal"} <= kinds
    for dv in validations:
        assert dv.errorStyle in (None, "stop"), (dv.type, dv.errorStyle)  # None is Excel's default: stop
        assert dv.error, dv.type  # and it says what to do


def test_instructions_say_where_to_send_it_and_print_on_a4(template):
    sheet = openpyxl.load_workbook(template)["Istruzioni"]
    text = " ".join(str(c.value) for c in sheet["A"] if c.value)
    assert "Dove inviarlo" in text and "portale" in text
    assert sheet.page_setup.paperSize in (9, "9") and sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0


def test_libreoffice_prints_every_instruction_line_whole(template, tmp_path):
    soffice, pdftotext = office_tools("the printed template")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(template)],
        capture_output=True,
        timeout=180,
        check=True,
    )
    pdf = tmp_path / "modello.pdf"
    first_page = subprocess.run([pdftotext, "-f", "1", "-l", "2", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", " ", first_page)
    for text, _ in INSTRUCTIONS:
        if text.strip():
            assert re.sub(r"\s+", " ", text.strip()) in flat, text  # the whole line is on the page, wrapped not cut
