"""Figures as a planner writes them in a plan: rounded euro amounts and ranges, shares with their Italian article.

A plan is not the accounts: "tra 1,1 e 3,3 milioni di euro", never "Tra 1.092.229,19 € e 3.276.687,58 €"; "lo 0 %",
"l'80 %", "il 45 %", never "il 0%". The assumptions behind a range are written in a note beside it, not in its digits.
"""

from __future__ import annotations

WORDS = {
    "it": {
        "billion": "miliardo",
        "billions": "miliardi",
        "million": "milione",
        "millions": "milioni",
        "thousand": "mila",
        "one_thousand": "mille euro",
        "euro": "euro",
        "between": "tra {a} e {b}",
        "and": "e",
        "less_than_thousand": "meno di mille euro",
        "none": "nessuna spesa",
        "decimal": ",",
    },
    "en": {
        "billion": "billion",
        "billions": "billion",
        "million": "million",
        "millions": "million",
        "thousand": "thousand",
        "one_thousand": "a thousand euro",
        "euro": "euro",
        "between": "between {a} and {b}",
        "and": "and",
        "less_than_thousand": "less than a thousand euro",
        "none": "no spending",
        "decimal": ".",
    },
}


def _number(value: float, decimals: int, lang: str) -> str:
    text = f"{value:,.{decimals}f}".replace(",", " ")
    if decimals and text.endswith("0" * decimals):
        text = text[: -decimals - 1]
    return text.replace(".", WORDS[lang]["decimal"]).replace(" ", "." if lang == "it" else ",")


def number(value: float | None, lang: str = "it", decimals: int = 0, signed: bool = False) -> str:
    """A figure in a table: ``1.312``, ``0,14``, ``+5,2`` (Italian) or ``1,312``, ``0.14``, ``+5.2``, always with
    ``decimals`` digits (``—`` when missing). The command line's one formatter of plain numbers."""
    if value is None:
        return "—"
    text = f"{value:{'+' if signed else ''},.{decimals}f}".replace(",", " ")
    return text.replace(".", WORDS[lang]["decimal"]).replace(" ", "." if lang == "it" else ",")


def _scale(euro: float) -> str:
    return (
        "billion" if euro >= 999_500_000 else "million" if euro >= 999_500 else "thousand" if euro >= 1_000 else "unit"
    )


DIVISOR = {"billion": 1_000_000_000, "million": 1_000_000}


def _magnitude(euro: float, scale: str, lang: str) -> str:
    """The number alone on a scale (no unit): 1,1 (millions), 480 (thousands)."""
    if scale in DIVISOR:
        return _number(round(euro / DIVISOR[scale], 1), 1, lang)
    return _number(_two_significant(euro / 1_000), 0, lang)


def _two_significant(value: float) -> float:
    if value >= 100:
        return round(value, -1)
    return round(value)


def _unit(euro: float, scale: str, lang: str) -> str:
    w = WORDS[lang]
    if scale in DIVISOR:
        one = round(euro / DIVISOR[scale], 1) == 1
        return f"{w[scale] if one else w[scale + 's']} di euro" if lang == "it" else f"{w[scale]} euro"
    return f"{w['thousand']} euro"


def euro_words(cents: int | float | None, lang: str = "it") -> str:
    """A rounded amount in words: ``1,1 milioni di euro``, ``480 mila euro``, ``1 milione di euro``."""
    euro = abs(cents or 0) / 100
    scale = _scale(euro)
    if scale == "unit":
        return WORDS[lang]["less_than_thousand"] if euro else f"0 {WORDS[lang]['euro']}"
    if scale == "thousand" and _magnitude(euro, scale, lang) == "1":
        return WORDS[lang]["one_thousand"]
    return f"{_magnitude(euro, scale, lang)} {_unit(euro, scale, lang)}"


def range_words(low_cents: int | float | None, high_cents: int | float | None, lang: str = "it") -> str:
    """``tra 1,1 e 3,3 milioni di euro`` (one unit when both ends share it), ``tra 480 mila euro e 1,2 milioni di
    euro``."""
    low, high = abs(low_cents or 0) / 100, abs(high_cents or 0) / 100
    pattern = WORDS[lang]["between"]
    if _scale(low) == _scale(high) != "unit" and _magnitude(low, _scale(low), lang) != _magnitude(
        high, _scale(high), lang
    ):
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


def _article(text: str) -> str:
    """The Italian article of a number read aloud: ``lo 0``, ``l'1``, ``l'8``, ``l'11``, ``l'80``, ``il 45``."""
    integer = text.split(" ")[0].split(",")[0]
    if integer == "0":
        return f"lo {text}"
    if integer in ("1", "8", "11") or integer.startswith("8") and len(integer) in (2, 3):
        return f"l'{text}"
    return f"il {text}"


def article_percent(share: float | None, lang: str = "it") -> str:
    """A share with its Italian article: ``lo 0 %``, ``l'8 %``, ``l'11 %``, ``l'80 %``, ``il 45 %`` (English: the
    number)."""
    text = percent(share, lang)
    if lang != "it" or share is None:
        return text
    return _article(text)


def percent_range(low: float, high: float, lang: str = "it") -> str:
    """A range of shares: ``tra il 3 e l'8 %``, ``tra l'1 e il 3 %`` (English ``3-8%``)."""
    a, b = (percent(v, lang).removesuffix(" %").removesuffix("%") for v in (low, high))
    if lang != "it":
        return f"{a}-{b}%"
    return f"tra {_article(a)} e {_article(b)} %"


def share_of_spending(share: float | None, lang: str = "it") -> str:
    """How much of the body's spending a function is, in words: ``nessuna spesa`` when there is none."""
    if share is not None and share <= 0:
        return WORDS[lang]["none"]
    return article_percent(share, lang) + (" della spesa dell'ente" if lang == "it" else " of the body's spending")
