"""What a person reads instead of an internal key: parameters in words, short checksums, dates.

Shared by the workbook and the dashboard pages; the words themselves are data (``data/report_labels.yaml``,
loaded by ``sources.labels``).
"""

from __future__ import annotations

import datetime as dt

from sources.catalogues import quadrant_names
from sources.labels import report_labels
from sources.reference import amount_kinds, body_name
from transforms.figures import percent


def label(key: str, lang: str):
    return report_labels()[key][lang]


def short_checksum(digest: str | None, keep: int = 12) -> str:
    """The first characters of a checksum, as a person reads it (the full value stays in the warehouse and the
    archive)."""
    return "" if not digest else (digest if len(digest) <= keep else digest[:keep] + "…")


def date_time(value, lang: str = "it") -> str:
    """24/11/2026 02:14 (Italian) or 2026-11-24 02:14 (English) from a datetime or an ISO text."""

    if value is None:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.strftime("%d/%m/%Y %H:%M" if lang == "it" else "%Y-%m-%d %H:%M")


def parameter_rows(parameters: dict, lang: str) -> list[tuple[str, str]]:
    """Every parameter as a row: its path in words ("Classificazione › Soglie › Spesa") and its value in words."""
    words = label("parameter_words", lang)
    rows: list[tuple[str, str]] = []

    def text(value) -> str:
        if isinstance(value, bool):
            return label("yes_word", lang) if value else "no"
        if isinstance(value, float):
            return f"{value:g}".replace(".", ",") if lang == "it" else f"{value:g}"
        if isinstance(value, list):
            return ", ".join(text(v) for v in value)
        return words.get(str(value), str(value))

    quadrant = quadrant_names(lang)

    def walk(prefix: list[str], value) -> None:
        if isinstance(value, dict) and value:
            by_quadrant = set(value) <= set(
                quadrant
            )  # e.g. transformation_potential: named as quadrants.csv names them
            for key, inner in value.items():
                if key in ("run_config", "labels_it", "labels_en"):  # the same choices again, or labels shown elsewhere
                    continue
                walk([*prefix, quadrant[key] if by_quadrant else words.get(str(key), str(key))], inner)
        else:
            rows.append((" › ".join(prefix), text(value) if value != {} else "-"))

    walk([], parameters)
    return rows


def named(row: dict, lang: str) -> str:
    """A function's name, marked "dettaglio per missione" when the file gives it only as a mission total."""
    name = row.get("name") or ""
    return f"{name} ({label('mission_detail', lang)})" if row.get("coarse") else name


def _per_inhabitant(value: float, lang: str) -> str:
    from transforms.amounts import format_euro

    return format_euro(round(value * 100), lang)


def peer_rule(rule: str | None, band: float | None, lang: str) -> str:
    """How the peers were chosen, in words: "stesso tipo di ente e popolazione comparabile (entro ±300 %)"."""
    text = label("peer_rules", lang).get(rule or "population", rule or "")
    if rule in (None, "population") and band is not None:
        text += label("peer_band", lang).format(band=f"{band * 100:.0f}")
    return text


def peer_values(row: dict, lang: str) -> str:
    """The peers behind a median and their values per inhabitant: "Provincia di Novara 35,97 €; …"."""
    from sources.reference import body_name

    pairs = zip(row.get("peer_bodies") or [], row.get("peer_values_eur") or [])
    return "; ".join(f"{body_name(peer)} {_per_inhabitant(value, lang)}" for peer, value in pairs)


def peers_lacking(row: dict, lang: str) -> str:
    """The peers of the group without a value for this function, and why: "Provincia di Modena (solo dettaglio per
    missione)"."""
    from sources.reference import body_name
    from transforms.classify import REASONS

    why = label("peer_lacking", lang)
    return "; ".join(
        f"{body_name(peer)} ({why.get(code) or REASONS.get(code, (code, code))[0 if lang == 'it' else 1]})"
        for peer, code in zip(row.get("peers_lacking") or [], row.get("peers_lacking_why") or [])
    )


def indicator_missing(missing: str | None, lang: str) -> str:
    """Why an execution indicator is empty, in words: the amount kind is not in the files, or nothing to divide by."""
    if missing is None:
        return ""
    if missing.startswith("kind:"):
        kinds = dict(zip(amount_kinds()["code"], amount_kinds()[f"label_{lang}"]))
        return label("indicators_missing_kind", lang).format(
            kind=" / ".join(kinds.get(k, k) for k in missing[5:].split("|"))
        )
    return label("indicators_zero", lang)


def peer_shares(bodies: list[str] | None, values: list[float] | None, lang: str) -> str:
    """ "Torino 45 %, Vercelli 61 %": the peers of an indicator with their values, by name."""
    return ", ".join(f"{body_name(b)} {percent(v, lang)}" for b, v in zip(bodies or [], values or []))
