"""National open-data extracts (BDAP, programme level): streaming selection, located findings, all or nothing, peers.

The fixture is written here from the scheme in docs/BUDGET_FILE_LAYOUTS.md §2 (``;``, every field quoted,
latin-1, CRLF, US decimals), not by the product's generator: a province and its capoluogo share
``Codice Provincia`` and ``Codice Comune``, a ceased province has a code that is not one of the 107.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.main import app
from sources import archive, reference
from transforms.national import national_lines
from warehouse import store as warehouse
from warehouse.national_extracts import load_national

HEADER = [
    "Esercizio Finanziario",
    "Codice Tipologia Soggetto",
    "Descrizione Tipologia Soggetto",
    "Codice BDAP",
    "Denominazione Soggetto",
    "CF Soggetto",
    "Data Cessazione Soggetto",
    "Codice Regione",
    "Descrizione Regione",
    "Codice Provincia",
    "Descrizione Provincia",
    "Codice Comune",
    "Descrizione Comune",
    "Codice Missione",
    "Descrizione Missione",
    "Codice Programma",
    "Descrizione Programma",
    "Codice Titolo",
    "Descrizione Titolo",
    "Codice Macroaggregato",
    "Descrizione Macroaggregato",
    "Previsioni Definitive di Competenza",
    "Impegni",
    "Totale Pagamenti",
]
PROVINCE = ("3", "PROVINCE/CITTA' METROPOLITANE")
COMUNE = ("1", "COMUNI")


def _row(
    year, kind, bdap, name, region, province_code, comune_code, comune, programme, title, macro, budget, committed, paid
):
    mission = programme[:2]
    return [
        str(year),
        kind[0],
        kind[1],
        bdap,
        name,
        "01907990012",
        "",
        region,
        "PIEMONTE",
        province_code,
        "TORINO",
        comune_code,
        comune,
        mission,
        "Missione",
        programme,
        "Programma",
        title,
        "Titolo",
        macro,
        "Macroaggregato",
        budget,
        committed,
        paid,
    ]


def _torino(year=2023, **changes):
    rows = [
        _row(
            year,
            PROVINCE,
            "800000201",
            "CITTÀ METROPOLITANA DI TORINO",
            "01",
            "001",
            "272",
            "TORINO",
            "1005",
            "1",
            "103",
            "1200000.00",
            "1000000.50",
            "800000.00",
        ),
        _row(
            year,
            PROVINCE,
            "800000201",
            "CITTÀ METROPOLITANA DI TORINO",
            "01",
            "001",
            "272",
            "TORINO",
            "1005",
            "2",
            "202",
            "5000000.00",
            "4200000.10",
            "100000.00",
        ),
        _row(
            year,
            PROVINCE,
            "800000201",
            "CITTÀ METROPOLITANA DI TORINO",
            "01",
            "001",
            "272",
            "TORINO",
            "0402",
            "1",
            "104",
            "300000.00",
            "250000.00",
            "250000.00",
        ),
        # the capoluogo: same Codice Provincia and Codice Comune as the metropolitan city, never selected
        _row(
            year,
            COMUNE,
            "100000272",
            "COMUNE DI TORINO",
            "01",
            "001",
            "272",
            "TORINO",
            "1005",
            "1",
            "103",
            "99999999.00",
            "88888888.00",
            "77777777.00",
        ),
        _row(
            year,
            COMUNE,
            "100000272",
            "COMUNE DI TORINO",
            "01",
            "001",
            "272",
            "TORINO",
            "1005",
            "1",
            "101",
            "not a number",
            "1.234,56",
            "",
        ),
        # a ceased province (Olbia-Tempio, 104): its rows are left out with a warning
        _row(
            year,
            PROVINCE,
            "800000104",
            "PROVINCIA DI OLBIA-TEMPIO",
            "20",
            "104",
            "047",
            "OLBIA",
            "1005",
            "1",
            "103",
            "10.00",
            "10.00",
            "10.00",
        ),
    ]
    for index, column, value in changes.get("edits", []):
        rows[index][HEADER.index(column)] = value
    return rows + changes.get("extra", [])


def write_extract(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    text = "\r\n".join(";".join(f'"{v}"' for v in row) for row in [header, *rows]) + "\r\n"
    path.write_bytes(text.encode("latin-1"))
    return path


def test_only_provinces_are_loaded_exactly_and_the_capoluogo_is_left_out(tmp_path, settings):
    outcome = load_national(
        write_extract(tmp_path / "2023_Rendiconto SDB Spese Programmi_ITALIA.csv", _torino()), settings
    )
    assert outcome.ok and outcome.phase == "rendiconto" and outcome.years == [2023] and outcome.bodies == 1
    assert [(f.code, f.row, f.params["value"]) for f in outcome.findings] == [("NATIONAL_BODY_UNKNOWN", 7, "104")]
    with warehouse.connect(settings.warehouse_path) as con:
        lines = warehouse.read_table(con, "national_lines")
        stored = con.execute("SELECT stored_as, sha256 FROM core.national_extracts").fetchone()
    committed = lines.filter(pl.col("amount_kind") == "impegni").sort("source_line")
    assert committed.select("body", "missione", "programma", "titolo", "macroaggregato", "amount_cents").rows() == [
        ("201", "10", "10.05", "1", "1.03", 100000050),
        ("201", "10", "10.05", "2", "2.02", 420000010),
        ("201", "04", "04.02", "1", "1.04", 25000000),
    ]
    assert set(lines["amount_kind"]) == {"stanziamento", "impegni", "pagamenti"} and set(lines["body"]) == {"201"}
    assert Path(stored[0]).name == f"{stored[1]}.csv.zst"  # kept compressed: the same bytes once decompressed
    with archive.open_original(Path(stored[0])) as original:
        assert original.read() == (tmp_path / "2023_Rendiconto SDB Spese Programmi_ITALIA.csv").read_bytes()


@pytest.mark.parametrize("spelled", ["1", "01", " 1 ", "001"])
def test_a_province_code_saved_without_its_zeros_is_still_torino(tmp_path, settings, spelled):
    """A spreadsheet program re-saving the extract writes Codice Provincia 001 as 1: still Torino (201), every line."""
    rows = _torino(edits=[(i, "Codice Provincia", spelled) for i in range(5)])
    outcome = load_national(write_extract(tmp_path / "2023_Rendiconto SDB Spese Programmi_ITALIA.csv", rows), settings)
    assert outcome.ok and outcome.bodies == 1
    assert [(f.code, f.params["value"]) for f in outcome.findings] == [("NATIONAL_BODY_UNKNOWN", "104")]
    with warehouse.connect(settings.warehouse_path) as con:
        lines = warehouse.read_table(con, "national_lines")
    assert set(lines["body"]) == {"201"}
    assert lines.filter(pl.col("amount_kind") == "impegni")["amount_cents"].sort().to_list() == [
        25000000,
        100000050,
        420000010,
    ]


BODIES = reference.bodies().select(
    pl.col("istat_code").alias("body"), pl.col("historical_province_code").alias("province_code")
)
CODES = {
    "programma": reference.programmes()["code"].to_list(),
    "macroaggregato": reference.macroaggregates()["code"].to_list(),
    "titolo": reference.titles()["code"].to_list(),
}


@given(
    st.sampled_from(BODIES.rows()),
    st.integers(min_value=0, max_value=2),
    st.text(" ", max_size=2),
    st.text(" ", max_size=2),
)
def test_every_province_code_is_found_however_many_of_its_zeros_were_kept(body, zeros_dropped, before, after):
    """Each of the 107 bodies, its historical province code with some or all leading zeros dropped and stray spaces."""
    istat, code = body
    spelled = code[min(zeros_dropped, len(code) - len(code.lstrip("0"))) :] or code
    rows = pl.DataFrame(
        {
            "_line": [2],
            "province_code": [before + spelled + after],
            "year": ["2023"],
            "missione": ["10"],
            "programma": ["1005"],
            "titolo": ["1"],
            "macroaggregato": ["103"],
            "_amount_impegni": ["100.50"],
        },
        schema_overrides={"_line": pl.Int64},
    )
    lines, problems = national_lines(rows, BODIES, "rendiconto", CODES)
    assert problems.is_empty()
    assert lines.select("body", "amount_cents").rows() == [(istat, 10050)]


def test_restore_writes_the_extract_as_received_and_refuses_an_altered_archive(tmp_path, settings):
    years = [row for year in range(2014, 2024) for row in _torino(year)]
    received = write_extract(tmp_path / "Rendiconto SDB Spese Programmi_ITALIA.csv", years)
    assert load_national(received, settings).ok
    sha = archive.sha256_of(received)
    stored = archive.find_archived(settings.archive_dir, sha)
    assert stored.suffix == ".zst" and stored.stat().st_size < received.stat().st_size / 5
    out = tmp_path / "ripristinato.csv"
    result = CliRunner().invoke(app, ["restore", sha[:10], "-o", str(out)])
    assert result.exit_code == 0 and out.read_bytes() == received.read_bytes()
    assert f"SHA-256 {sha} verificato" in " ".join(result.output.split())
    assert CliRunner().invoke(app, ["restore", "0123456789", "-o", str(tmp_path / "x.csv")]).exit_code == 1
    # an archive altered on disk (decompresses, but to other bytes) writes nothing
    os.chmod(stored, 0o600)
    stored.write_bytes(zstandard.ZstdCompressor().compress(received.read_bytes().replace(b"1200000.00", b"9200000.00")))
    out.unlink()
    result = CliRunner().invoke(app, ["--lang", "en", "restore", sha, "-o", str(out)])
    assert (
        result.exit_code == 1
        and not out.exists()
        and "no longer matches its SHA-256" in " ".join(result.output.split())
    )


def test_a_bad_province_row_rejects_the_file_with_its_line_and_column_and_writes_nothing(tmp_path, settings):
    rows = _torino(
        edits=[(1, "Impegni", "4.200.000,10"), (2, "Codice Programma", "0499")], extra=[_torino()[0]]
    )  # the first line again: a repeated combination
    outcome = load_national(write_extract(tmp_path / "rotto.csv", rows), settings)
    assert not outcome.ok
    found = {(f.code, f.cell) for f in outcome.findings}
    letter = {c: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[HEADER.index(c)] for c in ("Impegni", "Codice Programma")}
    assert ("AMOUNT_NOT_NUMBER_US", f"{letter['Impegni']}3") in found
    assert ("PROGRAMME_UNKNOWN", f"{letter['Codice Programma']}4") in found
    misplaced = load_national(
        write_extract(tmp_path / "fuori.csv", _torino(edits=[(0, "Codice Missione", "09")])), settings
    )
    [wrong] = [f for f in misplaced.findings if f.code == "PROGRAMME_NOT_IN_MISSION"]
    assert (
        wrong.row == 2
        and wrong.params["missione"] == "09"
        and "10.05 non appartiene alla missione 09" in wrong.message("it")
    )
    duplicate = next(f for f in outcome.findings if f.code == "DUPLICATE_KEY")
    assert duplicate.row == 8 and duplicate.params["other_row"] == 2 and "riga 2" in duplicate.message("it")
    assert "1234567.89" in next(f for f in outcome.findings if f.code == "AMOUNT_NOT_NUMBER_US").message("it")
    with warehouse.connect(settings.warehouse_path) as con:
        assert warehouse.read_table(con, "national_lines").height == 0
    assert not [p for p in settings.archive_dir.rglob("*") if p.is_file()]  # no copy of a rejected file is kept


def test_a_column_named_differently_is_a_profile_edit(tmp_path, settings):
    """The profile lists each column's names: the Arconet spelling is read without any code change."""
    header = [h.replace("Codice Programma", "Codice Programma Arconet") for h in HEADER]
    assert load_national(write_extract(tmp_path / "arconet.csv", _torino(), header), settings).ok
    missing = [h for h in HEADER if h != "Codice Provincia"]
    rows = [r[: HEADER.index("Codice Provincia")] + r[HEADER.index("Codice Provincia") + 1 :] for r in _torino()]
    outcome = load_national(write_extract(tmp_path / "senza.csv", rows, missing), settings)
    assert not outcome.ok and [(f.code, f.params["column"]) for f in outcome.findings] == [
        ("COLUMN_MISSING", "province_code")
    ]


def test_a_file_without_provinces_or_of_another_kind_is_refused_in_words(tmp_path, settings):
    only_comuni = [r for r in _torino() if r[1] == "1"]
    outcome = load_national(write_extract(tmp_path / "comuni.csv", only_comuni), settings)
    assert [f.code for f in outcome.findings] == ["NATIONAL_NO_ROWS"] and "province" in outcome.findings[0].message(
        "it"
    )
    other = tmp_path / "altro.csv"
    other.write_text("a;b\n1;2\n", encoding="utf-8")
    assert [f.code for f in load_national(other, settings).findings] == ["HEADER_NOT_FOUND"]


def test_reloading_a_year_replaces_it(tmp_path, settings):
    load_national(write_extract(tmp_path / "a.csv", _torino()), settings)
    load_national(write_extract(tmp_path / "b.csv", _torino(edits=[(0, "Impegni", "1.00")])), settings)
    with warehouse.connect(settings.warehouse_path) as con:
        lines = warehouse.read_table(con, "national_lines").filter(
            pl.col("amount_kind") == "impegni", pl.col("programma") == "10.05", pl.col("titolo") == "1"
        )
    assert lines["amount_cents"].to_list() == [100]


METROS = {
    "215": ("015", 1.3),
    "210": ("010", 0.9),
    "237": ("037", 1.1),
    "248": ("048", 0.7),
    "272": ("072", 1.6),
    "263": ("063", 1.2),
}


def test_open_data_gives_a_body_peers_when_nobody_else_uploaded(tmp_path):
    """Torino uploads its official mission-level accounts; six metropolitan cities exist only in the national extract.
    Through the Dagster assets, Torino's benchmarks get their medians from them, per mission."""
    import dagster as dg

    from pipelines.runner import run_pipeline
    from tests.conftest import settings_for
    from warehouse.ingest import ingest_files

    settings = settings_for(tmp_path)
    official = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_spese.csv"
    assert (
        ingest_files([official], settings, body="201", year=2023, phase="rendiconto", user="test")[0].status
        == "accepted"
    )
    rows = []
    for body, (code, scale) in METROS.items():
        for programme, title, macro, amount in (
            ("1005", "1", "103", 30_000_000),
            ("1005", "1", "104", 10_000_000),
            ("0402", "1", "103", 20_000_000),
        ):
            rows.append(
                _row(
                    2023,
                    PROVINCE,
                    f"8000{body}",
                    f"CITTÀ METROPOLITANA {body}",
                    "00",
                    code,
                    "001",
                    "X",
                    programme,
                    title,
                    macro,
                    "0",
                    f"{amount * scale:.2f}",
                    "0",
                )
            )
    assert load_national(write_extract(tmp_path / "nazionale.csv", rows), settings).ok
    results = run_pipeline(
        dg.DagsterInstance.ephemeral(), [2023], ["201"], home=str(tmp_path), stages=("body_1", "year_1")
    )
    assert all(r.success for r in results)
    with warehouse.connect(settings.warehouse_path) as con:
        bench = warehouse.read_table(con, "peer_benchmarks").filter(pl.col("function") == "10").row(0, named=True)
        bodies = set(warehouse.read_table(con, "peer_benchmarks")["body"])
    assert bodies == {"201"}  # benchmarks only for the bodies analysed
    assert bench["peers_open_data"] == bench["peers"] >= 5
    population = {
        r["istat_code"]: int(r["population_census2011"])
        for r in pl.read_csv(
            Path(__file__).parents[1] / "areavasta" / "data" / "reference" / "enti.csv", infer_schema=False
        ).iter_rows(named=True)
    }
    per_capita = [
        40_000_000 * scale / population[b] for b, (_, scale) in METROS.items()
    ]  # mission 10: 300k + 100k euro, scaled
    assert bench["peers"] == len(METROS) and bench["peer_median_eur"] == pytest.approx(
        pl.Series(per_capita).median(), rel=1e-9
    )
    assert bench["peer_transfer_share"] == pytest.approx(
        0.25
    )  # macroaggregate 1.04 is a quarter of mission 10 in every peer


def test_ingest_sends_a_national_extract_to_its_own_command(tmp_path, settings):
    from warehouse.ingest import ingest_files

    outcome = ingest_files([write_extract(tmp_path / "nazionale.csv", _torino())], settings, user="test")[0]
    assert outcome.status == "rejected" and [f.code for f in outcome.validation.findings] == ["NATIONAL_EXTRACT"]
    assert "areavasta national" in outcome.validation.findings[0].message("it")
