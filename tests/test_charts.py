"""The matrix chart is drawn as the seed draws it, with labels that do not overlap."""

from __future__ import annotations

import json

import polars as pl

from dashboards.charts import X_DOMAIN, Y_DOMAIN, label_positions, matrix_chart


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
    corners = {d["text"]: d["x"] for d in spec["datasets"].values() for d in d if "text" in d}
    assert corners["Servizi di allocazione → network"] == 1.0 and corners["Servizi diretti → coproduzione"] == 0.0
    assert any("name" in json.dumps(layer.get("encoding", {}).get("tooltip", "")) for layer in spec["layer"])


def test_labels_of_a_tight_cluster_do_not_overlap():
    points = [(0.10, 0.80), (0.11, 0.81), (0.12, 0.80), (0.10, 0.82), (0.50, 0.50)]
    spots = label_positions(points, 560, 460, X_DOMAIN[::-1], Y_DOMAIN)
    px = [((1.02 - x) / 1.04 * 560, (1.08 - y) / 1.2 * 460, a) for x, y, a in spots]
    boxes = []
    for x, y, align in px:
        left = x if align == "left" else x - 30 if align == "right" else x - 15
        boxes.append((left, y - 6, left + 30, y + 6))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5), (a, b)
