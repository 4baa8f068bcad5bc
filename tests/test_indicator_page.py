"""The page's execution indicators against the peers (issue 27): the chart draws the peers' range, middle half and
median with the body on top; the table beside it gives the same figures, names the peers and says why an empty one is
empty."""

from __future__ import annotations

import json

import polars as pl

from dashboards.charts import spec_of
from dashboards.indicator_chart import indicators_section

KEYS = {"body": "237", "year": 2025, "phase": "rendiconto", "detail": "body", "code": ""}


def _indicators() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {**KEYS, "indicator": "commitment_capacity", "value": 0.83, "missing": None},
            {**KEYS, "indicator": "payment_capacity", "value": 0.67, "missing": None},
            {**KEYS, "indicator": "financial_autonomy", "value": None, "missing": "kind:accertamenti"},
        ],
        schema_overrides={"year": pl.Int32, "value": pl.Float64},
    )


def _standing() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                **KEYS,
                "indicator": "commitment_capacity",
                "value": 0.83,
                "peers": 3,
                "peer_min": 0.82,
                "peer_q1": 0.83,
                "peer_median": 0.84,
                "peer_q3": 0.85,
                "peer_max": 0.86,
                "peers_below": 1,
                "peer_bodies": ["201", "210", "215"],
                "peer_values": [0.86, 0.82, 0.84],
            }
        ],
        schema_overrides={"year": pl.Int32, "peers": pl.UInt32, "peers_below": pl.UInt32},
    )


def test_the_table_gives_the_figures_the_peers_by_name_and_why_one_is_missing():
    _, table = indicators_section(_indicators(), _standing(), "it")
    rows = {r[0]: r for r in table["rows"]}
    assert list(rows) == [
        "Capacità di impegno",
        "Capacità di pagamento in conto competenza",
        "Autonomia finanziaria",
    ]  # catalogue order
    commitment = rows["Capacità di impegno"]
    assert commitment[1:4] == ["83 %", "84 %", "83 % – 85 %"]
    assert commitment[4].startswith("1 su 3 enti simili ha un valore più basso: Città metropolitana di Torino 86 %")
    assert rows["Capacità di pagamento in conto competenza"][4] == "nessun ente simile con questo indicatore"
    assert rows["Autonomia finanziaria"][1] == "" and "manca «Accertamenti»" in rows["Autonomia finanziaria"][4]


def test_the_chart_draws_range_quartiles_median_and_the_body():
    chart, _ = indicators_section(_indicators(), _standing(), "en")
    spec = spec_of(chart)
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["rule", "bar", "tick", "point"]
    encodings = [layer["encoding"]["x"]["field"] for layer in spec["layer"]]
    assert encodings == ["peer_min", "peer_q1", "peer_median", "value"]
    data = json.dumps(spec["datasets"])
    assert "Commitment capacity" in data and "Financial autonomy" not in data  # an empty indicator is not drawn at 0


def test_no_chart_without_peers_and_nothing_without_indicators():
    chart, table = indicators_section(_indicators(), None, "it")
    assert chart is None and len(table["rows"]) == 3
    assert indicators_section(pl.DataFrame(), None, "it") == (None, None)
