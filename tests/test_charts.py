"""The matrix chart is drawn as the seed draws it (labels: ``tests/test_matrix_labels.py``)."""

from __future__ import annotations

import json

import polars as pl

from dashboards.charts import matrix_chart


def _functions():
    return pl.DataFrame(
        {
            "function": ["10.02", "10.05", "09.02", "12.04"],
            "name": ["TPL", "Strade", "Ambiente", "Pari opportunità"],
            "quadrant": ["allocation", "direct", "regulation", "indirect"],
            "status": ["retained"] * 4,
            "total_cents": [10_000, 20_000, 5_000, 1_000],
            "transfer_share": [0.9, 0.05, 0.1, 0.7],
            "authority": [0.8, 0.3, 0.9, 0.2],
            "borderline": [False] * 4,
            "tier": [1, 2, 3, 4],
        },
        schema_overrides={"tier": pl.Int8},
    )


def test_transfers_are_on_the_left_in_every_layer():
    spec = json.loads(matrix_chart(_functions(), {"spending": 0.5, "authority": 0.5}).to_json())
    scales = [layer["encoding"]["x"].get("scale", {}) for layer in spec["layer"] if "x" in layer.get("encoding", {})]
    assert scales and all(s.get("reverse") is True for s in scales)
    corners = {
        tuple(d["text"]): d["x"] for d in spec["datasets"].values() for d in d if isinstance(d.get("text"), list)
    }
    assert corners[("Servizi di allocazione", "→ network")] == 1.0
    assert corners[("Servizi diretti", "→ coproduzione")] == 0.0
    assert any("name" in json.dumps(layer.get("encoding", {}).get("tooltip", "")) for layer in spec["layer"])
