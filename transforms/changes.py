"""What changed for one body between two years (or two runs): quadrant, priority tier, flags, plan, and why.

Pure: the two states (``state``: each function's matrix position, rank and plan) and the words and
labels come in as arguments. Every change carries its reason in words, from the numbers that moved
across a threshold, the threshold or cost basis that changed, the component of the score that moved
most, or the function's legal status.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.amounts import format_euro

MATRIX = [
    "function",
    "name",
    "total_cents",
    "quadrant",
    "transfer_share",
    "authority",
    "spending_threshold",
    "authority_threshold",
    "cost_basis",
    "status",
    "coarse",
    "has_macro_detail",
]
ORDER = {"quadrant": 0, "tier": 1, "plan": 2, "flags": 3, "new": 4, "gone": 5}


@dataclass(frozen=True)
class Labels:
    """Words for codes, in the output's language: quadrants, tiers, statuses, flags, plan kinds; ``lang`` for
    numbers."""

    quadrants: dict
    tiers: dict
    statuses: dict
    flags: dict
    plan_kinds: dict
    lang: str = "it"


def state(matrix: pl.DataFrame, ranked: pl.DataFrame, plans: pl.DataFrame, components: list[str]) -> pl.DataFrame:
    """One row per function of one body, year and phase: its matrix position, its rank (if ranked), its plan (if
    any)."""
    rank_columns = ["function", "tier", "score", "flags", *[f"c_{c}" for c in components]]
    out = matrix.select([c for c in MATRIX if c in matrix.columns])
    if ranked.height:
        out = out.join(ranked.select([c for c in rank_columns if c in ranked.columns]), on="function", how="left")
    out = (
        out.join(plans.select("function", "plan_kind"), on="function", how="left")
        if plans.height
        else out.with_columns(plan_kind=pl.lit(None, pl.String))
    )
    for column, dtype in {"tier": pl.Int8, "score": pl.Float64, "flags": pl.List(pl.String)}.items():
        if column not in out.columns:
            out = out.with_columns(pl.lit(None, dtype).alias(column))
    return out


def only_coarse(frame: pl.DataFrame) -> bool:
    """Mission-level accounts only (no programmes): functions cannot be compared one by one."""
    return frame.height > 0 and "coarse" in frame.columns and bool(frame["coarse"].fill_null(False).all())


def detail_level(frame: pl.DataFrame) -> str:
    """How detailed one year's accounts are: ``programme``, ``mission`` (mission totals with macroaggregates) or
    ``mission_totals`` (mission totals only: the spending type cannot be measured)."""
    if not only_coarse(frame):
        return "programme"
    with_macro = "has_macro_detail" in frame.columns and bool(frame["has_macro_detail"].fill_null(False).any())
    return "mission" if with_macro else "mission_totals"


def what_changed(
    before: pl.DataFrame, after: pl.DataFrame, years: tuple, words: dict, labels: Labels, weights: dict[str, float]
) -> pl.DataFrame:
    """Rows (function, name, change, before, after, reason) for every change, quadrant changes first."""
    was = {r["function"]: r for r in before.iter_rows(named=True)}
    now = {r["function"]: r for r in after.iter_rows(named=True)}
    rows = []
    for function in sorted(set(was) | set(now)):
        a, b = was.get(function), now.get(function)
        spent_a, spent_b = bool(a and (a["total_cents"] or 0) > 0), bool(b and (b["total_cents"] or 0) > 0)
        name = (b or a)["name"] or ""
        if spent_b and not spent_a:
            rows.append(
                _row(
                    function,
                    name,
                    "new",
                    "",
                    "",
                    words["new"].format(after=years[1], before=years[0], amount=_euro(b["total_cents"], labels)),
                )
            )
            continue
        if spent_a and not spent_b:
            rows.append(
                _row(
                    function,
                    name,
                    "gone",
                    "",
                    "",
                    words["gone"].format(after=years[1], before=years[0], amount=_euro(a["total_cents"], labels)),
                )
            )
            continue
        if not (spent_a and spent_b):
            continue
        rows += _changes(function, name, a, b, years, words, labels, weights)
    frame = pl.DataFrame(
        rows,
        schema={
            "function": pl.String,
            "name": pl.String,
            "change": pl.String,
            "before": pl.String,
            "after": pl.String,
            "reason": pl.String,
        },
        orient="row",
    )
    return (
        frame.with_columns(_o=pl.col("change").replace_strict(ORDER, return_dtype=pl.Int8))
        .sort("_o", "function")
        .drop("_o")
    )


def _changes(function, name, a, b, years, words, labels, weights) -> list[tuple]:
    out = []
    if a["quadrant"] != b["quadrant"]:
        out.append(
            _row(
                function,
                name,
                "quadrant",
                _quadrant(a, words, labels),
                _quadrant(b, words, labels),
                _why_quadrant(a, b, words, labels),
            )
        )
    if a.get("tier") != b.get("tier"):
        out.append(
            _row(
                function,
                name,
                "tier",
                labels.tiers.get(a.get("tier"), words["none"]),
                labels.tiers.get(b.get("tier"), words["none"]),
                _why_tier(a, b, words, labels, weights, years[1]),
            )
        )
    if a.get("plan_kind") != b.get("plan_kind"):
        out.append(
            _row(
                function,
                name,
                "plan",
                labels.plan_kinds.get(a.get("plan_kind"), words["none"]),
                labels.plan_kinds.get(b.get("plan_kind"), words["none"]),
                _why_plan(a, b, years, words, labels),
            )
        )
    flags_a, flags_b = set(a.get("flags") or []), set(b.get("flags") or [])
    if flags_a != flags_b:
        parts = []
        if flags_b - flags_a:
            parts.append(
                words["flags_added"].format(names=", ".join(labels.flags.get(f, f) for f in sorted(flags_b - flags_a)))
            )
        if flags_a - flags_b:
            parts.append(
                words["flags_removed"].format(
                    names=", ".join(labels.flags.get(f, f) for f in sorted(flags_a - flags_b))
                )
            )
        out.append(
            _row(
                function,
                name,
                "flags",
                ", ".join(_short(labels.flags.get(f, f)) for f in sorted(flags_a)) or words["none"],
                ", ".join(_short(labels.flags.get(f, f)) for f in sorted(flags_b)) or words["none"],
                _sentence("; ".join(parts)),
            )
        )
    return out


def _why_quadrant(a, b, words, labels) -> str:
    reasons = []
    if a.get("cost_basis") != b.get("cost_basis"):
        reasons.append(
            words["basis_changed"].format(
                a=words["basis"].get(a.get("cost_basis"), a.get("cost_basis")),
                b=words["basis"].get(b.get("cost_basis"), b.get("cost_basis")),
            )
        )
    for axis, share, threshold, fmt in (
        ("spending", "transfer_share", "spending_threshold", _pct),
        ("authority", "authority", "authority_threshold", _dec),
    ):
        ta, tb, va, vb = a.get(threshold), b.get(threshold), a.get(share), b.get(share)
        if ta is not None and tb is not None and ta != tb:
            reasons.append(words[f"threshold_{axis}"].format(a=fmt(ta, labels), b=fmt(tb, labels)))
        if None not in (va, vb, ta, tb) and va != vb and (va >= ta) != (vb >= tb):  # the measure itself moved across
            key = "transfer_moved" if axis == "spending" else "authority_moved"
            reasons.append(words[key].format(a=fmt(va, labels), b=fmt(vb, labels), t=fmt(tb, labels)))
    if not reasons:
        reasons.append(
            words["measured"].format(
                a=_pct(a.get("transfer_share"), labels),
                b=_pct(b.get("transfer_share"), labels),
                c=_dec(a.get("authority"), labels),
                d=_dec(b.get("authority"), labels),
            )
        )
    return _sentence("; ".join(reasons))


def _why_tier(a, b, words, labels, weights, after_year) -> str:
    """The score's move and why: components that entered or left the score (a weighted mean over the components
    available), else the component that moved most the same way. Tiers are relative (quartiles), so a tier can
    move against the score when the body's other functions moved more."""
    rise = (b.get("score") or 0) - (a.get("score") or 0)
    had = {c for c in weights if a.get(f"c_{c}") is not None}
    has = {c for c in weights if b.get(f"c_{c}") is not None}

    def named(components) -> str:
        return ", ".join(
            words["quoted"].format(name=words["components"].get(c, c))
            + f" ({_dec(b.get(f'c_{c}') or a.get(f'c_{c}'), labels)})"
            for c in sorted(components)
        )

    if has != had:
        parts = ([words["components_added"].format(after=after_year, names=named(has - had))] if has - had else []) + (
            [words["components_dropped"].format(after=after_year, names=named(had - has))] if had - has else []
        )
        component = "; ".join(parts)
    else:
        available = sum(weights[c] for c in has) or 1
        moves = {c: ((b.get(f"c_{c}") or 0) - (a.get(f"c_{c}") or 0)) * weights[c] / available * 100 for c in has}
        same_way = {c: m for c, m in moves.items() if m * rise > 0}
        biggest = max(same_way, key=lambda c: abs(same_way[c])) if same_way else None
        component = (
            words["component"].format(
                name=words["quoted"].format(name=words["components"].get(biggest, biggest)),
                delta=_signed(moves[biggest], labels),
            )
            if biggest
            else words["no_component"]
        )
    text = words["tier"].format(a=_num(a.get("score"), labels), b=_num(b.get("score"), labels), component=component)
    higher_tier = (b.get("tier") or 9) < (a.get("tier") or 9)  # tier 1 comes first
    if rise and higher_tier != (rise > 0):
        text += "; " + words["relative"]
    return _sentence(text)


def _why_plan(a, b, years, words, labels) -> str:
    kind_a, kind_b = labels.plan_kinds.get(a.get("plan_kind")), labels.plan_kinds.get(b.get("plan_kind"))
    if kind_a and kind_b:
        return _sentence(
            words["plan_changed"].format(
                a=kind_a,
                b=kind_b,
                c=labels.statuses.get(a.get("status"), a.get("status")),
                d=labels.statuses.get(b.get("status"), b.get("status")),
            )
        )
    tier = labels.tiers.get(b.get("tier"), words["none"])
    if kind_b:
        return _sentence(words["plan_added"].format(after=years[1], kind=kind_b, tier=tier))
    return _sentence(words["plan_dropped"].format(after=years[1], before=years[0], kind=kind_a, tier=tier))


def _quadrant(row, words, labels) -> str:
    return labels.quadrants.get(row["quadrant"], words["unclassified"]) if row["quadrant"] else words["unclassified"]


def _short(flag_label: str) -> str:
    """``Committenza: molta spesa in acquisti, …`` → ``Committenza`` (the full words go in the reason)."""
    return flag_label.split(":")[0]


def _row(function, name, change, before, after, reason) -> tuple:
    return function, name, change, before, after, reason


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _pct(value, labels: Labels) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.0f}"
    return f"{text}\u00a0%" if labels.lang == "it" else f"{text}%"  # no break between number and sign


def _dec(value, labels: Labels) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") if labels.lang == "it" else f"{value:.2f}"


def _num(value, labels: Labels) -> str:
    return _dec(value, labels).replace(",00", "").replace(".00", "") if value is not None else "—"


def _signed(value: float, labels: Labels) -> str:
    text = f"{value:+.1f}"
    return text.replace(".", ",") if labels.lang == "it" else text


def _euro(cents, labels: Labels) -> str:
    return format_euro(cents, labels.lang)
