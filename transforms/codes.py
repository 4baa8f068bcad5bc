"""Text folding and the parsing of harmonised-budget codes, as polars expressions.

Officers write the same code many ways: ``04.02``, ``0402``, ``4.2``, ``PROGRAMMA 2 - …``
inside a ``MISSIONE 4`` block, macroaggregates as ``1.03``, ``103``, ``1030000`` or
``MACROAGGR. 3 - …`` inside a title, revenue tipologie as ``10101`` or ``101`` inside title 1.
A file re-saved by pandas writes a code column that had a blank cell as floats (``37.0``,
``80140110588.0``) and drops leading zeros (``4``): :func:`code_text` undoes the first, the
parsers below accept the second. These helpers turn each into the canonical code or null.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import polars as pl


def fold(expr: pl.Expr) -> pl.Expr:
    """Lower case, no accents, punctuation as single spaces: for matching labels."""
    return (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold_text(text: str | None) -> str:
    """The same folding as :func:`fold`, for one Python string."""
    if text is None:
        return ""
    text = str(text)
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", text.lower()).strip()


def mission_code(expr: pl.Expr) -> pl.Expr:
    """``4``, ``04``, ``MISSIONE 04 - …``, ``04 Istruzione`` → ``"04"``."""
    digits = expr.cast(pl.String).str.extract(r"^\D*?(\d{1,2})(?:\D|$)", 1)
    return digits.str.zfill(2)


def programme_code(expr: pl.Expr, mission: pl.Expr | None = None) -> pl.Expr:
    """``04.02``, ``4.2``, ``0402``, ``04 02`` → ``"04.02"``; ``2`` / ``PROGRAMMA 2`` with a mission → ``"MM.02"``."""
    text = expr.cast(pl.String).str.strip_chars()
    dotted = text.str.extract_groups(r"^(?:programma\s*)?(\d{1,2})\s*[.\-/ ]\s*(\d{1,2})(?:\D|$)")
    packed = text.str.extract_groups(r"^(?:programma\s*)?(\d{2})(\d{2})(?:\D|$)")
    full = pl.coalesce(
        pl.concat_str(packed.struct.field("1"), pl.lit("."), packed.struct.field("2")),
        pl.concat_str(dotted.struct.field("1").str.zfill(2), pl.lit("."), dotted.struct.field("2").str.zfill(2)),
    )
    if mission is None:
        return full
    short = text.str.extract(r"^(?:programma\s*)?(\d{1,2})(?:\D|$)", 1).str.zfill(2)
    return pl.coalesce(full, pl.concat_str(mission, pl.lit("."), short))


def code_text(expr: pl.Expr) -> pl.Expr:
    """A code as text: spaces stripped, and the ``.0`` a re-save by pandas adds to a code column (``37.0`` → ``37``)."""
    return expr.cast(pl.String).str.strip_chars().str.replace(r"^(\d+)\.0+$", "${1}")


def title_code(expr: pl.Expr) -> pl.Expr:
    """``1``, ``01`` (BDAP), ``Titolo 1``, ``1-Spese correnti`` → ``"1"``."""
    return expr.cast(pl.String).str.extract(r"^(?i:titolo\s*)?0?(\d)(?:\D|$)", 1)


def tipologia_code(expr: pl.Expr, title: pl.Expr | None = None) -> pl.Expr:
    """Revenue tipologia: ``10101`` (title and tipologia), ``010101`` or ``1010100`` (BDAP's longer spellings),
    ``1.01.01`` → ``"10101"``; ``101`` / ``TIPOLOGIA 101`` (the tipologia's number) with its title → title +
    ``0101``."""
    text = code_text(expr).str.replace(r"^(?i:tipologia)\s*", "").str.replace(r"^(?i:e)\.", "")
    digits = text.str.replace_all(r"[.\s]", "")
    full = pl.when(digits.str.contains(r"^0?\d{5}$|^\d{7}$")).then(
        pl.when(digits.str.len_chars() == 6).then(digits.str.slice(1)).otherwise(digits.str.slice(0, 5))
    )
    if title is None:
        return full
    number = text.str.extract(r"^(\d{3})(?:\D|$)", 1)
    return pl.coalesce(full, pl.concat_str(title, pl.lit("0"), number))


def macro_code(expr: pl.Expr, title: pl.Expr | None = None) -> pl.Expr:
    """``1.03``, ``103``, ``1030000``, ``U.1.03…`` → ``"1.03"``; ``MACROAGGR. 3`` with a title → ``"T.03"``."""
    text = expr.cast(pl.String).str.strip_chars().str.replace(r"^(?i:u\.)", "")
    dotted = text.str.extract_groups(r"^(\d)\.(\d{1,2})(?:\D|$)")
    packed = text.str.extract_groups(r"^(\d)(\d{2})(?:0000)?(?:\D|$)")
    full = pl.coalesce(
        pl.concat_str(dotted.struct.field("1"), pl.lit("."), dotted.struct.field("2").str.zfill(2)),
        pl.concat_str(packed.struct.field("1"), pl.lit("."), packed.struct.field("2")),
    )
    if title is None:
        return full
    short = text.str.extract(r"^(?i:macroaggr(?:egato)?\.?)\s*(\d{1,2})(?:\D|$)", 1).str.zfill(2)
    return pl.coalesce(full, pl.concat_str(title, pl.lit("."), short))


def best_name_match(label: str, names: dict[str, str], cutoff: float = 0.84) -> str | None:
    """Code whose folded name best matches ``label``, tolerant of case, accents, spacing and small damage.

    ``names`` maps code → official name. Exact folded matches win; otherwise the closest by
    difflib ratio above ``cutoff``; a label that is the start of exactly one name also matches
    (exports truncate long mission names).
    """
    wanted = fold_text(label)
    if not wanted:
        return None
    folded = {code: fold_text(name) for code, name in names.items()}
    for code, name in folded.items():
        if name == wanted:
            return code
    prefixed = [code for code, name in folded.items() if len(wanted) >= 12 and name.startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0]
    scored = sorted(
        ((difflib.SequenceMatcher(None, wanted, name).ratio(), code) for code, name in folded.items()), reverse=True
    )
    if scored and scored[0][0] >= cutoff and (len(scored) == 1 or scored[0][0] - scored[1][0] > 0.02):
        return scored[0][1]
    return None
