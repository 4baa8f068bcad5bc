"""Figures as a planner writes them in a plan: rounded euro amounts and ranges, shares with their Italian article.

A plan is not the accounts: "tra 1,1 e 3,3 milioni di euro", never "Tra 1.092.229,19 € e 3.276.687,58 €"; "lo 0 %",
"l'80 %", "il 45 %", never "il 0%". The assumptions behind a range are written in a note beside it, not in its digits.
"""

from __future__ import annotations

WORDS = {
    "it": {"million": "milione", "millions": "milioni", "thousand": "mila", "euro": "euro", "between": "tra {a} e {b}",
           "and": "e", "less_than_thousand": "meno di mille euro", "none": "nessuna spesa", "decimal": ","},
    "en": {"million": "million", "millions": "million", "thousand": "thousand", "euro": "euro", "between": "between {a} and {b}",
           "and": "and", "less_than_thousand": "less than a thousand euro", "none": "no spending", "decimal": "."},
}


def _number(value: float, decimals: int, lang: str) -> str:
    text = f"{value:,.{decimals}f}".replace(",", " ")
    if decimals and text.endswith("0" * decimals):
        text = text[: -decimals - 1]
    return text.replace(".", WORDS[lang]["decimal"]).replace(" ", "." if lang == "it" else ",")


def _scale(euro: float) -> str:
    return "million" if euro >= 999_500 else "thousand" if euro >= 1_000 else "unit"


def _magnitude(euro: float, scale: str, lang: str) -> str:
    """The number alone on a scale (no unit): 1,1 (millions), 480 (thousands)."""
    if scale == "million":
        return _number(round(euro / 1_000_000, 1), 1, lang)
    return _number(_two_significant(euro / 1_000), 0, lang)


def _two_significant(value: float) -> float:
    if value >= 100:
        return round(value, -1)
    return round(value)


def _unit(euro: float, scale: str, lang: str) -> str:
    w = WORDS[lang]
    if scale == "million":
        one = round(euro / 1_000_000, 1) == 1
        return f"{w['million'] if one else w['millions']} di euro" if lang == "it" else f"{w['million']} euro"
    return f"{w['thousand']} euro"


def euro_words(cents: int | float | None, lang: str = "it") -> str:
    """A rounded amount in words: ``1,1 milioni di euro``, ``480 mila euro``, ``1 milione di euro``."""
    euro = abs(cents or 0) / 100
    scale = _scale(euro)
    if scale == "unit":
        return WORDS[lang]["less_than_thousand"] if euro else f"0 {WORDS[lang]['euro']}"
    return f"{_magnitude(euro, scale, lang)} {_unit(euro, scale, lang)}"


def range_words(low_cents: int | float | None, high_cents: int | float | None, lang: str = "it") -> str:
    """``tra 1,1 e 3,3 milioni di euro`` (one unit when both ends share it), ``tra 480 mila euro e 1,2 milioni di euro``."""
    low, high = abs(low_cents or 0) / 100, abs(high_cents or 0) / 100
    pattern = WORDS[lang]["between"]
    if _scale(low) == _scale(high) != "unit" and _magnitude(low, _scale(low), lang) != _magnitude(high, _scale(high), lang):
        return pattern.format(a=_magnitude(low, _scale(low), lang), b=euro_words(high_cents, lang))
    if euro_words(low_cents, lang) == euro_words(high_cents, lang):
        return ("circa " if lang == "it" else "about ") + euro_words(high_cents, lang)
    return pattern.format(a=euro_words(low_cents, lang), b=euro_words(high_cents, lang))


def percent(share: float | None, lang: str = "it") -> str:
    """``45 %`` (Italian spacing and decimal comma) or ``45%``; shares below 10 % keep one decimal when not whole."""
    if share is None:
        return "n.d." if lang == "it" else "n/a"
    value = share * 100
    text = _number(round(value, 1) if value < 10 else round(value), 1 if value < 10 else 0, lang)
    return f"{text} %" if lang == "it" else f"{text}%"


def article_percent(share: float | None, lang: str = "it") -> str:
    """A share with its Italian article: ``lo 0 %``, ``l'8 %``, ``l'11 %``, ``l'80 %``, ``il 45 %`` (English: the number)."""
    text = percent(share, lang)
    if lang != "it" or share is None:
        return text
    digits = text.split(" ")[0]
    integer = digits.split(",")[0]
    if integer == "0":
        return f"lo {text}"
    if integer in ("1", "8", "11") or integer.startswith("8") and len(integer) in (2, 3):
        return f"l'{text}"
    return f"il {text}"


def share_of_spending(share: float | None, lang: str = "it") -> str:
    """How much of the body's spending a function is, in words: ``nessuna spesa`` when there is none."""
    if share is not None and share <= 0:
        return WORDS[lang]["none"]
    return article_percent(share, lang) + (" della spesa dell'ente" if lang == "it" else " of the body's spending")
