"""The dashboards, rendered in headless Chromium: charts drawn, no console errors, nothing fetched, input escaped."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines import stages as analytics
from pipelines.runner import run_pipeline
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.browser import render
from tests.conftest import settings_for, write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = settings_for(home)
    files = [
        write_sample(home / "in", generate_budget(b, y, "rendiconto"), "annex_amount_kinds")
        for b in ("002", "003", "005", "006")
        for y in (2024, 2025)
    ]
    hostile = m.edit_xlsx(
        write_sample(home / "in2", generate_budget("096", 2025, "rendiconto"), "template"),
        home / "in2" / "096_hostile.xlsx",
        "Override autorità",
        {"A4": "10.05", "B4": "controlli_sanzioni", "C4": 3, "E4": "<script>alert('x')</script> & co"},
    )
    assert all(o.status == "accepted" for o in ingest_files([*files, hostile], settings))
    run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(home))  # the assets write the pages
    with warehouse.connect(settings.warehouse_path) as con:
        matrix = warehouse.read_table(con, "ruffini_matrix", analytics.present_keys(con))
    return settings.outputs_dir / "dashboards", matrix


def test_every_page_renders_offline_without_errors(site):
    folder, matrix = site
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == 10  # 9 body-year pages and the index
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(https?:)?//', html), page.name  # nothing loaded from the network
        dom, log = render(page, ARTIFACTS / "dashboards" / f"{page.stem}.png")
        assert "<svg" in dom, page.name
        errors = [line for line in log.splitlines() if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
        assert errors == [], (page.name, errors)


def test_matrix_draws_one_mark_per_classified_function_with_circles_and_squares(site):
    folder, matrix = site
    page = folder / "002_2025_rendiconto.html"
    dom, _ = render(page)
    chart = dom.split('id="matrix"', 1)[1].split('id="movement"', 1)[0]
    points = re.findall(r'aria-roledescription="point"[^>]*aria-label="([^"]*)"', chart) or re.findall(
        r'aria-label="([^"]*)"[^>]*aria-roledescription="point"', chart
    )
    expected = matrix.filter(pl.col("body") == "002", pl.col("year") == 2025, pl.col("quadrant").is_not_null()).height
    assert len(points) == expected
    assert any("mantenuta" in p for p in points) and any("trasferita" in p for p in points)


def test_text_from_uploads_is_escaped(site):
    folder, _ = site
    html = (folder / "096_2025_rendiconto.html").read_text(encoding="utf-8")
    outside_scripts = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    assert "<script>alert" not in outside_scripts  # the table shows it as text...
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in outside_scripts
    specs = re.findall(r"<script>(VIEWS\.push\(vegaEmbed.*?)</script>", html, flags=re.DOTALL)
    assert specs and all("</script" not in spec for spec in specs)  # ...and inside a chart spec it cannot close the tag
    assert (
        html.count("</script>") == len(specs) + 3
    )  # bundle, VIEWS, one embed per chart, the selector: no tag closed early
    dom, _ = render(folder / "096_2025_rendiconto.html")
    table = dom.split("<table", 1)[1]
    assert "&lt;script&gt;alert" in table and "<script>alert" not in table


def test_index_links_every_page_and_has_a_selector(site):
    folder, _ = site
    html = (folder / "index.html").read_text(encoding="utf-8")
    for page in folder.glob("0*.html"):
        assert f'href="{page.name}"' in html
    assert '<select id="open"' in html
    dom, _ = render(folder / "index.html", ARTIFACTS / "dashboards" / "index.png")
    assert dom.count('aria-roledescription="bar"') >= 5


def test_english_pages_and_chart_export(site, tmp_path):
    folder, _ = site
    from pipelines import stage_outputs
    from pipelines import stages as analytics
    from sources.settings import load_settings
    from warehouse import store as warehouse

    settings = load_settings().with_(home=folder.parents[1])
    with warehouse.connect(settings.warehouse_path) as con:
        written = stage_outputs.stage_dashboards(
            con, analytics.keys_frame([("002", 2025)]), settings, lang="en", export=True
        )
    page = folder / "002_2025_rendiconto_en.html"
    assert (
        page in written
        and 'lang="en"' in page.read_text(encoding="utf-8")
        and "How to read the matrix" in page.read_text(encoding="utf-8")
    )
    charts = sorted(p.name for p in written if p.parent.name == "charts")
    assert "002_2025_rendiconto_en_matrix.png" in charts and "002_2025_rendiconto_en_matrix.svg" in charts
    assert (folder / "charts" / "002_2025_rendiconto_en_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (folder / "charts" / "002_2025_rendiconto_en_composition.svg").read_text(encoding="utf-8")
    index = (folder / "index_en.html").read_text(encoding="utf-8")
    assert 'href="002_2025_rendiconto_en.html"' in index and 'href="002_2025_rendiconto.html"' not in index


def test_every_chart_of_a_page_shares_the_highlight_selector(site):
    folder, _ = site
    html = (folder / "002_2025_rendiconto.html").read_text(encoding="utf-8")
    chunks = html.split('VIEWS.push(vegaEmbed("#')[1:]
    names = {chunk.split('"', 1)[0] for chunk in chunks}
    assert names >= {"matrix", "priorities", "composition"}
    assert all('"name": "highlight"' in chunk.split("</script>", 1)[0] for chunk in chunks)
    assert '<select id="fn">' in html and 'signal("highlight"' in html


def test_dashboard_words_have_the_same_keys_in_both_languages():
    from dashboards.pages import TEXT

    def keys(node, prefix=""):
        return {prefix + k for k in node} | {
            x for k, v in node.items() if isinstance(v, dict) for x in keys(v, f"{prefix}{k}.")
        }

    assert keys(TEXT["it"]) == keys(TEXT["en"]) and len(TEXT["it"]) >= 28
    assert all(isinstance(v, (str, list, dict)) and v for v in TEXT["en"].values())
