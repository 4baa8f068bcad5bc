"""Findings: what is wrong with an input, in words a finance officer understands.

A finding has a stable ``code`` (catalogue in ``data/findings.yaml``), a severity, and a
location (file, sheet, cell in A1 notation or row). Texts are Italian by default, English
with ``lang="en"``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache

import yaml

from sources.reference import DATA_DIR


@cache
def catalogue() -> dict[str, dict]:
    return yaml.safe_load((DATA_DIR / "findings.yaml").read_text(encoding="utf-8"))


@cache
def words() -> dict[str, dict]:
    """Placeholder → internal key → words: ``finding_words.yaml``, the amount kinds' own labels for ``{kind}`` and the
    layouts' descriptions for ``{layout}``."""
    import csv

    from sources.layouts import profiles

    table = yaml.safe_load((DATA_DIR / "finding_words.yaml").read_text(encoding="utf-8"))
    with open(DATA_DIR / "amount_kinds.csv", encoding="utf-8", newline="") as handle:
        kinds = {
            row["code"]: {"it": row["label_it"].lower(), "en": row["label_en"].lower()}
            for row in csv.DictReader(handle)
        }
    layouts = {p.name: {"it": p.description("it"), "en": p.description("en")} for p in profiles()}
    return {**table, "kind": {**kinds, **table.get("kind", {})}, "layout": {**layouts, **table.get("layout", {})}}


@dataclass(frozen=True)
class Finding:
    code: str
    file: str = ""
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in catalogue():
            raise KeyError(f"finding code {self.code!r} is not in data/findings.yaml")

    @property
    def severity(self) -> str:
        return catalogue()[self.code]["severity"]

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def location(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"foglio '{self.sheet}'")
        if self.cell:
            parts.append(f"cella {self.cell}")
        elif self.row is not None:
            parts.append(f"riga {self.row}")
        return ", ".join(parts)

    def message(self, lang: str = "it") -> str:
        template = catalogue()[self.code].get(lang) or catalogue()[self.code]["it"]
        params = dict(self.params)
        for key, table in words().items():  # internal keys (e.g. "macroaggregato") never reach the officer
            if key in params and params[key] in table:
                params[key] = table[params[key]][lang if lang in table[params[key]] else "it"]
        return template.format_map(_Missing(params))

    def to_dict(self, lang: str = "it") -> dict:
        data = asdict(self)
        data["severity"] = self.severity
        data["message"] = self.message(lang)
        return data


class _Missing(dict):
    """Leaves unknown placeholders visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)


KEPT = 200  # findings kept per file: the officer corrects these and sends the file again; the rest are counted
PER_RULE = (
    50  # rows listed per problem and file by the line checks (a rule broken on every row says so once, with a count)
)


def capped(findings: list[Finding], limit: int = KEPT) -> list[Finding]:
    """At most ``limit`` findings, errors first kept (a file refused stays refused), in their order, then one finding
    counting what was left out: 300,000 findings on one file would be a 100 MB page and a database row."""
    if len(findings) <= limit:
        return findings
    errors = [i for i, f in enumerate(findings) if f.is_error][:limit]
    kept = set(errors) | set([i for i, f in enumerate(findings) if not f.is_error][: limit - len(errors)])
    left_out = [f for i, f in enumerate(findings) if i not in kept]
    count = sum(int(f.params.get("count", 1)) if f.code == "FINDINGS_MORE" else 1 for f in left_out)
    return [f for i, f in enumerate(findings) if i in kept] + [
        Finding("FINDINGS_LEFT_OUT", file=findings[0].file, params={"count": count})
    ]


def findings_json(findings: list[Finding], lang: str = "it") -> str:
    return json.dumps([f.to_dict(lang) for f in findings], ensure_ascii=False, indent=2)


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def a1(row0: int, col0: int) -> str:
    """0-based row and column → A1 notation."""
    return f"{column_letter(col0)}{row0 + 1}"
