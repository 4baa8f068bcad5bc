"""What a replacement file changes, and whether it makes the data worse (pure; rules from ``data/replacement.yaml``).

``summarise`` reduces a file's canonical lines to what an officer compares, per (body, year, phase): lines,
detail (programme or mission), spending of the phase's basis amount kind per title and per mission,
the programmes present and spending per inhabitant. Summaries are plain dicts: they travel in the
receipt (``sources.receipts``), so the portal can show a comparison without opening the warehouse.

``compare`` puts the summary of the file in use beside the new one and lists the reasons the new one
would be worse: a mission with spending disappears, the total moves beyond a share (unless the new file brings
spending per inhabitant back into the national range the file in use was outside of: a correction), the detail
drops from programme to mission, spending per inhabitant leaves the national range of the body's type.
"""

from __future__ import annotations

import polars as pl

SPENDING_TITLES = ("1", "2")  # what "spending" means in the totals: current and capital, as the plausibility check


def summarise(
    lines: pl.DataFrame, basis: dict[str, str], population: dict[str, int], table: str = "budget"
) -> dict[str, dict]:
    """``{"body|year|phase": summary}`` of a file's canonical lines. ``basis``: phase -> amount kind that measures
    spending; ``population``: body -> inhabitants (census)."""
    if lines.is_empty():
        return {}
    kind = pl.col("phase").replace_strict(basis, default=None, return_dtype=pl.String)
    keyed = lines.with_columns(
        _key=pl.concat_str(pl.col("body"), pl.col("year").cast(pl.String), pl.col("phase"), separator="|")
    )
    counted = dict(keyed.group_by("_key").len().iter_rows())
    on_basis = keyed.filter(pl.col("amount_kind") == kind)
    budget = table == "budget"
    by_title = _sums(on_basis, "titolo")
    by_mission = _sums(on_basis, "missione") if budget else {}
    programmes = (
        {
            k: sorted(v)
            for k, v in on_basis.filter(pl.col("programma").is_not_null())
            .group_by("_key")
            .agg(pl.col("programma").unique())
            .iter_rows()
        }
        if budget
        else {}
    )
    out = {}
    everything = dict(on_basis.group_by("_key").agg(pl.col("amount_cents").sum()).iter_rows())
    for key in sorted(counted):
        body, year, phase = key.split("|")
        titles = by_title.get(key, {})
        total = sum(v for t, v in titles.items() if t in SPENDING_TITLES) if budget else sum(titles.values())
        inhabitants = (
            population.get(body) if titles else None
        )  # per inhabitant is of titles 1-2: not known without titles
        out[key] = {
            "body": body,
            "year": int(year),
            "phase": phase,
            "table": table,
            "amount_kind": basis.get(phase),
            "lines": counted[key],
            "detail": ("programma" if programmes.get(key) else "missione") if budget else "titolo",
            "total_cents": total,
            "all_cents": int(everything.get(key, 0)),
            "titles": titles,
            "missions": by_mission.get(key, {}),
            "programmes": programmes.get(key, []),
            "per_inhabitant": round(total / 100 / inhabitants, 2) if budget and inhabitants else None,
        }
    return out


def _sums(lines: pl.DataFrame, column: str) -> dict[str, dict[str, int]]:
    """{partition: {code: cents}} of the lines' amounts by ``column`` (codes without a value left out)."""
    grouped = lines.filter(pl.col(column).is_not_null()).group_by("_key", column).agg(pl.col("amount_cents").sum())
    out: dict[str, dict[str, int]] = {}
    for key, code, cents in grouped.sort("_key", column).iter_rows():
        out.setdefault(key, {})[code] = int(cents)
    return out


def compare(before: dict, after: dict, rules: dict, typical_per_inhabitant: float | None = None) -> dict:
    """The file in use (``before``) beside the new one (``after``), for one partition: per mission and title in cents,
    programmes, detail, lines, totals, and ``reasons`` (each ``{"code", "params"}``) why the new one is worse."""
    reasons = []
    floor = rules["mission_gone_min_eur"] * 100
    for mission, cents in sorted(before["missions"].items()):
        if abs(cents) >= floor and not after["missions"].get(mission):
            reasons.append({"code": "mission_gone", "params": {"mission": mission, "before": cents}})
    low, high = rules["per_inhabitant_range"]
    inside = lambda value: (
        typical_per_inhabitant is not None
        and value is not None
        and low * typical_per_inhabitant <= value <= high * typical_per_inhabitant
    )
    restored = not inside(before.get("per_inhabitant")) and inside(
        after.get("per_inhabitant")
    )  # back into the national range
    # spending on titles 1-2 when both files give titles; otherwise every amount of the basis kind (a BDAP mission
    # summary)
    which = "total_cents" if before["titles"] and after["titles"] else "all_cents"
    change = _change(before.get(which, 0), after.get(which, 0))
    if change is not None and abs(change) > rules["total_change_max_share"] and not restored:
        reasons.append(
            {
                "code": "total_moved",
                "params": {
                    "change": change,
                    "before": before.get(which, 0),
                    "after": after.get(which, 0),
                    "limit": rules["total_change_max_share"],
                },
            }
        )
    if rules["detail_drop_holds"] and before["detail"] == "programma" and after["detail"] == "missione":
        reasons.append({"code": "detail_dropped", "params": {}})
    if (
        inside(before.get("per_inhabitant"))
        and after.get("per_inhabitant") is not None
        and not inside(after["per_inhabitant"])
    ):
        reasons.append(
            {
                "code": "per_inhabitant_out",
                "params": {
                    "after": after["per_inhabitant"],
                    "typical": typical_per_inhabitant,
                    "low": low * typical_per_inhabitant,
                    "high": high * typical_per_inhabitant,
                },
            }
        )
    gone = sorted(set(before["programmes"]) - set(after["programmes"]))
    new = sorted(set(after["programmes"]) - set(before["programmes"]))
    return {
        "partition": f"{after['body']}|{after['year']}|{after['phase']}",
        "amount_kind": after["amount_kind"],
        "worse": bool(reasons),
        "reasons": reasons,
        "missions": _side_by_side(before["missions"], after["missions"]),
        "titles": _side_by_side(before["titles"], after["titles"]),
        "total": {
            "before": before.get(which, 0),
            "after": after.get(which, 0),
            "change": change,
            "titles_1_2": which == "total_cents",
        },
        "lines": {"before": before["lines"], "after": after["lines"]},
        "detail": {"before": before["detail"], "after": after["detail"]},
        "programmes": {
            "before": len(before["programmes"]),
            "after": len(after["programmes"]),
            "gone": gone,
            "new": new,
        },
        "per_inhabitant": {"before": before.get("per_inhabitant"), "after": after.get("per_inhabitant")},
    }


def _change(before: int, after: int) -> float | None:
    """Relative change; None when there was nothing to change from (then only the other rules speak)."""
    return None if not before else (after - before) / abs(before)


def _side_by_side(before: dict[str, int], after: dict[str, int]) -> list[dict]:
    """One row per code of either side: before, after, difference (cents; 0 where a side lacks the code)."""
    return [
        {
            "code": code,
            "before": before.get(code, 0),
            "after": after.get(code, 0),
            "difference": after.get(code, 0) - before.get(code, 0),
        }
        for code in sorted(set(before) | set(after))
    ]
