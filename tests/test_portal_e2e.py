"""End to end in headless Chromium (Debian package, driven by Playwright): the officer's and the planner's day."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
import uvicorn

from dashboards import accounts
from dashboards.portal import create_app
from pipelines.resources import Warehouse
from pipelines.runner import run_pipeline
from pipelines.sensors import inbox_sensor
from sources.samples.budget import generate_budget
from tests import daemon
from tests import malformed as m
from tests.browser import chromium
from tests.conftest import write_sample

ARTIFACTS = Path(__file__).parent / "artifacts" / "portal"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "e2e-secret-" + "y" * 40)
    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "pianificatore", "planner", None, "pw-planner")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if uv.started:
            break
        time.sleep(0.05)
    yield settings, f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=5)


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Entra')")
    page.wait_for_url(f"{base}/")


def _upload(page, path: Path, year: int = 2025, phase: str = "rendiconto") -> None:
    page.fill("input[name=year]", str(year))
    page.select_option("select[name=phase]", phase)
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('Carica')")


def test_officer_and_planner_in_a_real_browser(server, tmp_path):
    chromium()
    from playwright.sync_api import sync_playwright

    settings, base = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bad = m.edit_xlsx(
        m.template(
            tmp_path / "g.xlsx",
            body="237",
            year=2025,
            phase="rendiconto",
            rows=m.GOOD_ROWS.with_columns(amount_kind=m.pl.lit("impegni")),
        ),
        tmp_path / "sbagliato.xlsx",
        "Dati",
        {"A6": "77"},
    )
    good = write_sample(tmp_path / "ok", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        _login(page, base, "ufficio.bo", "pw-bologna")
        with page.expect_download() as download:
            page.click("a:has-text('Scarica il modello')")
        saved = tmp_path / "modello.xlsx"
        download.value.save_as(saved)
        assert saved.read_bytes()[:2] == b"PK"
        page.screenshot(path=str(ARTIFACTS / "1_officer_home.png"), full_page=True)

        _upload(page, bad)
        page.wait_for_selector("#findings")
        assert "Missione '77' inesistente" in page.inner_text("#findings")
        page.screenshot(path=str(ARTIFACTS / "2_findings.png"), full_page=True)

        page.goto(f"{base}/")
        _upload(page, good)
        page.wait_for_selector("text=elaborazione in corso")
        # what the daemon does while the officer waits: the inbox sensor requests the partition, the pipeline's first
        # asset (budget_lines) loads the receipt
        resources = {"warehouse_db": Warehouse(home=str(settings.home))}
        instance = dg.DagsterInstance.ephemeral()
        result = inbox_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert daemon.requested(result.run_requests) == {"2025|237"}
        run_pipeline(instance, [2025], ["237"], home=str(settings.home))
        # the page refreshes itself every 5 s while the file is being loaded (a reload of ours could collide with it)
        page.wait_for_selector("#dashboard", timeout=30_000)
        receipt = page.inner_text("main")  # ready from what the run recorded; a receipt number, never a checksum
        assert "Elaborazione completata" in receipt and "Ricevuta n." in receipt and "SHA" not in receipt
        page.screenshot(path=str(ARTIFACTS / "3_upload_ready.png"), full_page=True)
        page.click("#dashboard")
        page.wait_for_selector("#matrix svg")
        assert page.locator("#matrix [aria-roledescription=point]").count() > 5
        page.screenshot(path=str(ARTIFACTS / "3_matrix.png"))

        page.goto(f"{base}/")
        page.click("button:has-text('Esci')")
        _login(page, base, "pianificatore", "pw-planner")
        home = page.inner_text("main")
        assert "Città metropolitana di Bologna" in home and "Provincia di Vercelli" in home
        page.goto(f"{base}/body/237")
        assert "in uso" in page.inner_text("#history")
        page.goto(f"{base}/body/002")
        assert "Nessun file caricato dal portale per questo ente." in page.inner_text(
            "main"
        )  # said, not an empty table
        page.screenshot(path=str(ARTIFACTS / "4_planner.png"), full_page=True)
        browser.close()


def test_officer_maps_an_unreadable_column_in_the_browser_and_the_sensor_loads_it(server, tmp_path):
    """Portal → mapping form → inbox → sensor (no body but the file name's) → warehouse, in a real browser."""
    chromium()
    from playwright.sync_api import sync_playwright

    from warehouse import store as warehouse

    settings, base = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_colonna_ignota.csv"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, base, "ufficio.bo", "pw-bologna")
        _upload(page, source, year=2023)
        page.wait_for_selector("form#mapping")
        assert "Missione ### (descrizione non disponibile)" in page.inner_text("form#mapping")
        page.select_option("form#mapping select", "10")
        page.screenshot(path=str(ARTIFACTS / "5_mapping_form.png"), full_page=True)
        page.click("button:has-text('Verifica e ricarica')")
        page.wait_for_selector("text=elaborazione in corso")
        browser.close()
    served = daemon.serve(settings)  # the sensor requests the partition, the run's budget_lines loads the receipt
    assert served.partitions() == {"2023|237"}
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        loaded = con.execute(
            "SELECT missione, sum(amount_cents) FROM core.budget_lines WHERE body = '237' AND year = 2023 "
            "AND amount_kind = 'impegni' GROUP BY 1"
        ).fetchall()
    expected = __import__("json").loads((source.parent / "expected.json").read_text())[source.name]["mission_totals"][
        "impegni"
    ]
    assert dict(loaded) == expected


def test_a_held_replacement_is_shown_and_confirmed_in_the_browser(server, tmp_path):
    """The complete 2026 forecast is in use; the officer sends a 7-line draft: held, compared per mission; confirmed,
    loaded."""
    chromium()
    from playwright.sync_api import sync_playwright

    from tests.test_replacements import _lines_of, _tick, draft_of_bologna

    settings, base = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    complete = Path(__file__).parents[1] / "demo" / "inbox" / "237_2026_previsione_template.xlsx"
    draft = draft_of_bologna(tmp_path / "bozza_previsione_2026.xlsx")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, base, "ufficio.bo", "pw-bologna")
        _upload(page, complete, year=2026, phase="previsione")
        page.wait_for_selector("text=elaborazione in corso")
        _tick(settings)
        page.goto(f"{base}/")
        _upload(page, draft, year=2026, phase="previsione")
        page.wait_for_selector("section#held")
        text = " ".join(page.inner_text("section#held").split())  # euro amounts carry a no-break space
        assert "sparisce la spesa di 11 missioni (03, 05, 11" in text and "10,59 €" in text and "Differenza" in text
        page.screenshot(path=str(ARTIFACTS / "6_held_replacement.png"), full_page=True)
        _tick(settings)
        assert _lines_of(settings, "237")[0] == 6030  # held: the complete forecast stays in use
        page.click("button#confirm")
        page.wait_for_selector("text=sostituzione confermata da ufficio.bo")
        _tick(settings)
        page.goto(f"{base}/")
        history = page.inner_text("table#history")
        assert "in uso" in history and "sostituito" in history
        page.screenshot(path=str(ARTIFACTS / "7_officer_states.png"), full_page=True)
        browser.close()
    assert _lines_of(settings, "237") == (7, 1, draft.name)
