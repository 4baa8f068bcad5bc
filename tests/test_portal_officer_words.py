"""Issue 29, the portal in an officer's words: the findings on a copy of the officer's own spreadsheet (cells filled
and commented, the archived original untouched, JSON only under "Altri formati"), the template link that follows the
chosen year and phase, and the planner's list of bodies (search, filters, a true heading, bodies with data first)."""

from __future__ import annotations

import hashlib
import html
import io
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font
from starlette.testclient import TestClient

from dashboards import accounts
from dashboards.portal import create_app
from sources import archive
from sources.reference import bodies
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.browser import chromium
from tests.conftest import write_sample
from tests.portal_client import csrf_token, login
from tests.test_portal_e2e import ARTIFACTS, FLAGS, server  # noqa: F401 - the fixture of a portal on a real port
from tests.test_portal_e2e import _login as e2e_login
from tests.test_portal_e2e import _upload as e2e_upload

RED, YELLOW = "00FFC7CE", "00FFEB9C"
SPECIAL_STATUTE = {
    "Sicilia",
    "Sardegna",
    "Friuli-Venezia Giulia",
    "Valle d'Aosta/Vallée d'Aoste",
    "Trentino-Alto Adige",
}


@pytest.fixture
def portal(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "officer-words-" + "w" * 40)
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "ufficio.mo", "officer", "036", "pw-modena")
    accounts.add_user(settings, "pianificatore", "planner", None, "pw-planner")
    dashboards = settings.outputs_dir / "dashboards"
    dashboards.mkdir(parents=True)
    for stem in ("237_2025_rendiconto", "002_2025_rendiconto"):  # Bologna and Vercelli have data
        (dashboards / f"{stem}.html").write_text(stem, encoding="utf-8")
    return settings, create_app(settings, max_upload_mb=2)


def _client(app, username: str, password: str) -> TestClient:
    client = TestClient(app)
    login(client, username, password)
    return client


def _upload(client: TestClient, path: Path, name: str | None = None) -> str:
    with path.open("rb") as handle:
        response = client.post(
            "/upload",
            data={"year": "2025", "phase": "rendiconto", "csrf": csrf_token(client, "/")},
            files={"file": (name or path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )
    assert response.status_code == 303
    return response.headers["location"]


def _bad_workbook(tmp_path: Path) -> Path:
    """The template with mission '77' in A6, and the officer's own touch: a bold font in B6, a wide column C."""
    good = m.template(
        tmp_path / "g.xlsx",
        year=2025,
        phase="rendiconto",
        rows=m.GOOD_ROWS.with_columns(amount_kind=m.pl.lit("impegni")),
    )
    book = openpyxl.load_workbook(good)
    book["Dati"]["A6"] = "77"
    book["Dati"]["B6"].font = Font(bold=True, color="FF0000")
    book["Dati"].column_dimensions["C"].width = 33
    book.save(tmp_path / "bad.xlsx")
    return tmp_path / "bad.xlsx"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_findings_come_back_on_a_copy_of_the_officers_own_workbook(portal, tmp_path):
    settings, app = portal
    client = _client(app, "ufficio.bo", "pw-bologna")
    bad = _bad_workbook(tmp_path)
    status = _upload(client, bad)
    record = accounts.upload(settings, status.rsplit("/", 1)[1])
    waiting = accounts.portal_dir(settings) / "incoming" / record["stored_as"]
    before = _sha(waiting)
    response = client.get(status + "/rilievi.xlsx")
    assert response.status_code == 200 and "rilievi_237_2025_rendiconto.xlsx" in response.headers["content-disposition"]
    copy = openpyxl.load_workbook(io.BytesIO(response.content))
    assert copy.sheetnames[0] == "Rilievi" and "Dati" in copy.sheetnames
    data = copy["Dati"]
    assert data["A6"].fill.fgColor.rgb == RED and "Missione '77' inesistente" in data["A6"].comment.text
    marked = {c.coordinate for row in data.iter_rows() for c in row if c.comment is not None}
    assert marked == {"A6"}  # the offending cell, no other
    assert data["B6"].font.bold and data["B6"].font.color.rgb == "00FF0000"  # the officer's formatting is kept
    assert data.column_dimensions["C"].width == 33
    listing = [[c.value for c in row] for row in copy["Rilievi"].iter_rows(min_row=5)]
    assert listing[0][:4] == [1, "errore", "Dati", "A6"] and "inesistente" in listing[0][4]
    assert copy["Rilievi"]["D5"].hyperlink.location == "'Dati'!A6"  # the list links to the cell
    assert _sha(waiting) == before == record["sha256"]  # the file as received is read, never written
    english = openpyxl.load_workbook(io.BytesIO(client.get(status + "/rilievi.xlsx?lang=en").content))
    assert english.sheetnames[0] == "Findings" and "Mission '77'" in english["Dati"]["A6"].comment.text
    assert "Missione" not in english["Dati"]["A6"].comment.text
    other = _client(app, "ufficio.mo", "pw-modena")  # another body's officer sees nothing of it
    assert other.get(status + "/rilievi.xlsx").status_code == 403


def test_an_accepted_files_warnings_are_marked_and_the_archived_original_stays_as_received(portal, tmp_path):
    settings, app = portal
    client = _client(app, "ufficio.bo", "pw-bologna")
    path = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto").head(40), "template")
    book = openpyxl.load_workbook(path)
    sheet = book["Dati"]
    sheet["F7"] = 162226.725  # more than two decimals: rounded to the cent, with a warning at the cell
    book.save(path)
    status = _upload(client, path)
    record = accounts.upload(settings, status.rsplit("/", 1)[1])
    stored = archive.find_archived(settings.archive_dir, record["sha256"])
    before = _sha(stored)
    findings = client.get(status + "/findings.json").json()
    placed = [f for f in findings if f["cell"]]
    assert record["status"] != "rejected" and placed, findings
    copy = openpyxl.load_workbook(io.BytesIO(client.get(status + "/rilievi.xlsx").content))
    for finding in placed:
        cell = copy[finding["sheet"]][finding["cell"]]
        assert cell.fill.fgColor.rgb == YELLOW and finding["message"] in cell.comment.text
    assert _sha(stored) == before == record["sha256"]


def test_a_csv_file_comes_back_as_an_excel_copy_of_its_data_and_says_so(portal):
    settings, app = portal
    accounts.add_user(settings, "ufficio.ro", "officer", "029", "pw-rovigo")
    client = _client(app, "ufficio.ro", "pw-rovigo")
    source = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_colonna_ignota.csv"
    status = _upload(client, source)
    findings = [f for f in client.get(status + "/findings.json").json() if f["cell"]]
    copy = openpyxl.load_workbook(io.BytesIO(client.get(status + "/rilievi.xlsx").content))
    assert copy.sheetnames == ["Rilievi", "Dati"] and "formato CSV" in copy["Rilievi"]["A2"].value
    lines = source.read_text(encoding="cp1252").splitlines()
    assert copy["Dati"].max_row == len(lines)
    first = lines[0].split(";")[0].strip('"')
    assert copy["Dati"]["A1"].value == first
    assert findings, "the unknown column gives a finding at its cell"
    for finding in findings:
        cell = copy["Dati"][finding["cell"]]
        assert cell.comment is not None and finding["message"] in cell.comment.text
        assert cell.fill.fgColor.rgb == RED


def test_a_file_that_is_no_spreadsheet_gets_the_list_of_findings_alone(portal, tmp_path):
    _, app = portal
    client = _client(app, "ufficio.bo", "pw-bologna")
    fake = tmp_path / "bilancio.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a spreadsheet")
    status = _upload(client, fake)
    copy = openpyxl.load_workbook(io.BytesIO(client.get(status + "/rilievi.xlsx").content))
    assert copy.sheetnames == ["Rilievi"]
    rows = [[c.value for c in row] for row in copy["Rilievi"].iter_rows(min_row=5)]
    assert len(rows) == 1 and rows[0][3] == "tutto il file" and rows[0][4]


def test_the_marked_copy_is_the_download_and_json_only_another_format(portal, tmp_path):
    _, app = portal
    client = _client(app, "ufficio.bo", "pw-bologna")
    page = client.get(_upload(client, _bad_workbook(tmp_path))).text
    primary = re.search(r'<a id="marked" class="download" href="([^"]+)">([^<]+)</a>', page)
    assert primary and primary.group(1).endswith("/rilievi.xlsx") and "evidenziate" in primary.group(2)
    formats = re.search(r'<details class="formats"><summary>Altri formati</summary>(.*?)</details>', page, re.DOTALL)
    assert formats and "findings.json" in formats.group(1) and "?lang=en" in formats.group(1)
    assert page.count("findings.json") == 1 and "(JSON)</a> ·" not in page.replace(formats.group(0), "")
    assert page.index("rilievi.xlsx") < page.index("findings.json")


@pytest.mark.parametrize(("year", "phase"), [(2024, "rendiconto"), (2027, "previsione")])
def test_the_template_link_follows_the_chosen_year_and_phase(portal, year, phase):
    _, app = portal
    client = _client(app, "ufficio.bo", "pw-bologna")
    home = html.unescape(client.get(f"/?year={year}&phase={phase}").text)
    link = re.search(r'<a id="template-link" href="([^"]+)">(.*?)</a>', home).groups()
    assert link[0] == f"/template?year={year}&phase={phase}"
    assert re.sub(r"<[^>]+>", "", link[1]) == f"Scarica il modello da compilare ({year}, {phase})"
    assert f'name="year" type="number" min="2015" max="2100" value="{year}"' in home  # the form says the same
    assert f'<option value="{phase}" selected>' in home
    response = client.get(link[0])
    assert f"modello_237_{year}_{phase}.xlsx" in response.headers["content-disposition"]
    written = openpyxl.load_workbook(io.BytesIO(response.content))
    said = " ".join(str(c.value) for s in written.worksheets for row in s.iter_rows(max_row=6) for c in row if c.value)
    assert str(year) in said and phase in said.lower()


def _listed(client: TestClient, query: str = "") -> tuple[str, list[str]]:
    page = html.unescape(client.get("/" + query).text)
    heading = re.search(r'<h2 id="bodies-heading">(.*?)</h2>', page).group(1)
    return heading, re.findall(r'<tr data-search="[^"]*" data-code="(\d{3})">', page)


def test_the_planner_searches_and_filters_the_bodies(portal):
    _, app = portal
    client = _client(app, "pianificatore", "pw-planner")
    assert _listed(client, "?q=bologna")[1] == ["237"]
    assert _listed(client, "?q=237")[1] == ["237"]
    assert _listed(client, "?q=VV")[1] == ["102"]  # the car plate (Vibo Valentia)
    assert _listed(client, "?q=forli")[1] == _listed(client, "?q=Forlì")[1] != []  # accents do not matter
    assert set(_listed(client, "?regione=Sicilia")[1]) == {"282", "283", "287"}  # the metropolitan cities only
    everyone_in_sicily = _listed(client, "?tutti=1&regione=Sicilia")[1]
    assert len(everyone_in_sicily) == 9 and set(everyone_in_sicily) > {"282", "283", "287"}
    table = bodies()
    emilia = _listed(client, "?regione=Emilia-Romagna&tipo=Provincia")[1]
    assert set(emilia) == set(
        table.filter((table["region"] == "Emilia-Romagna") & (table["uts_type"] == "Provincia"))["istat_code"]
    )
    assert _listed(client, "?dati=con")[1] == ["237", "002"]
    without = _listed(client, "?dati=senza")[1]
    assert len(without) == 88 and "237" not in without
    assert len(_listed(client, "?tutti=1&tipo=Libero+consorzio+comunale")[1]) == 6
    assert _listed(client, "?q=zzzz")[1] == [] and "Nessun ente corrisponde" in client.get("/?q=zzzz").text


def test_the_heading_is_true_of_every_body_listed_under_it(portal):
    _, app = portal
    client = _client(app, "pianificatore", "pw-planner")
    table = {r["istat_code"]: r for r in bodies().iter_rows(named=True)}
    heading, listed = _listed(client)
    assert len(listed) == 90 and {"282", "283", "287", "292"} <= set(listed)  # Palermo, Messina, Catania, Cagliari
    assert all(table[code]["l56_2014_ordinary_regime_inferred"] for code in listed)
    assert "56/2014" in heading
    if "statuto ordinario" in heading:
        assert not [code for code in listed if table[code]["region"] in SPECIAL_STATUTE]
    note = html.unescape(client.get("/").text)
    assert "comprese Palermo, Messina, Catania, Cagliari, in regioni" in note
    heading, listed = _listed(client, "?tutti=1")
    assert len(listed) == 107 and "56/2014" not in heading


def test_bodies_with_data_come_first(portal):
    _, app = portal
    client = _client(app, "pianificatore", "pw-planner")
    _, listed = _listed(client)
    assert listed[:2] == ["237", "002"]  # Bologna, Vercelli (by name), then the others by name
    names = [bodies().filter(bodies()["istat_code"] == c)["name"][0] for c in listed[2:6]]
    assert names == sorted(names)
    _, listed = _listed(client, "?regione=Piemonte")
    assert listed[0] == "002"


def test_the_template_link_and_the_search_follow_the_form_in_a_browser(server, tmp_path):  # noqa: F811
    """``static/portal.js`` in headless Chromium: the link changes with the year and phase, the list as one types;
    the screenshots of the findings page and of the planner's home are kept under tests/artifacts/portal."""
    chromium()
    from playwright.sync_api import sync_playwright

    settings, base = server
    (settings.outputs_dir / "dashboards").mkdir(parents=True, exist_ok=True)
    for stem in ("237_2025_rendiconto", "002_2025_rendiconto", "282_2025_previsione"):
        (settings.outputs_dir / "dashboards" / f"{stem}.html").write_text(stem, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        e2e_login(page, base, "ufficio.bo", "pw-bologna")
        page.fill("input[name=year]", "2024")
        page.select_option("select[name=phase]", "rendiconto")
        assert page.get_attribute("#template-link", "href") == "/template?year=2024&phase=rendiconto"
        assert page.inner_text("#template-link") == "Scarica il modello da compilare (2024, rendiconto)"
        with page.expect_download() as download:
            page.click("#template-link")
        assert download.value.suggested_filename == "modello_237_2024_rendiconto.xlsx"
        e2e_upload(page, _bad_workbook(tmp_path))
        page.wait_for_selector("#findings")
        assert page.is_visible("#marked") and not page.is_visible("#findings-json")  # JSON folded away
        page.screenshot(path=str(ARTIFACTS / "findings_page.png"), full_page=True)
        page.click("button:has-text('Esci')")
        e2e_login(page, base, "pianificatore", "pw-planner")
        page.fill("#body-search", "bolo")
        assert page.locator("#bodies tbody tr:visible").count() == 1
        page.fill("#body-search", "")
        assert page.locator("#bodies tbody tr:visible").count() == 90
        page.screenshot(path=str(ARTIFACTS / "planner_home.png"), full_page=True)
        browser.close()


def test_what_the_file_says_stays_text_in_the_copy(settings, tmp_path):
    """A CSV cell or a sheet name starting with '=' is copied as text, never turned into a formula of the copy."""
    from dashboards.findings_copy import marked_copy

    source = tmp_path / "dati.csv"
    source.write_text('Missione;Importo\n=HYPERLINK("http://x";"y");1\n', encoding="utf-8")
    entries = [{"code": "MISSION_UNKNOWN", "sheet": "=1+1", "cell": "A2", "row": 2, "params": {}, "severity": "error"}]
    copy = openpyxl.load_workbook(io.BytesIO(marked_copy(source, "dati.csv", entries, settings)))
    assert copy["Dati"]["A2"].data_type == "s" and copy["Dati"]["A2"].value.startswith("=HYPERLINK")
    assert copy["Rilievi"]["C5"].data_type == "s" and copy["Rilievi"]["C5"].value == "=1+1"


def test_a_finding_inside_merged_cells_marks_the_range_and_one_beyond_the_sheet_is_listed(settings, tmp_path):
    from dashboards.findings_copy import marked_copy

    book = openpyxl.Workbook()
    book.active.title = "Dati"
    book["Dati"]["B2"] = "Titolo"
    book["Dati"].merge_cells("B2:D2")
    book.save(tmp_path / "unito.xlsx")
    entries = [
        {"code": "MISSION_UNKNOWN", "sheet": "Dati", "cell": "C2", "params": {}, "severity": "error"},
        {"code": "MISSION_UNKNOWN", "sheet": "Dati", "cell": "A9999999", "params": {}, "severity": "error"},
    ]
    copy = openpyxl.load_workbook(io.BytesIO(marked_copy(tmp_path / "unito.xlsx", "unito.xlsx", entries, settings)))
    assert copy["Dati"]["B2"].comment is not None and copy["Dati"]["B2"].fill.fgColor.rgb == RED
    assert [c.value for c in copy["Rilievi"]["D"][4:6]] == ["C2", "A9999999"]
