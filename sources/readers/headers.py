"""Header rows of annexes and matrices: where each table starts and what each amount column holds.

A sheet may hold several tables one after another (an annex prints one per spending title, each
with its own header of that title's macroaggregates): :func:`find_headers` returns every header
row. :func:`place_columns` says what each column of one header carries:

* one dimension per cell (``101 Redditi da lavoro dipendente``, ``Impegni``);
* two dimensions on two rows (mission names above, merged or written once; kinds below);
* two dimensions in one cell (``" Turismo  Impegnato"``: the kind is the cell's last words).

Mission names damaged by the exporting software are matched by name when possible; a group of
columns that no name places is placed by the scheme's fixed mission order when exactly as many
missions are missing at that point as groups are unplaced (the placement is confirmed later by
the total columns). An officer's mapping (``sources.mappings``) places what neither can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from sources.vocab import amount_kind_of, macro_of, mission_of, mission_order
from transforms.codes import fold_text

MATCHERS = {"macroaggregato": macro_of, "missione": mission_of}
_NUMBER = r"^[\s\-+(]*[\d.,]+[)\s]*$"


@dataclass
class Column:
    name: str  # frame column, "c7"
    index: int
    dims: dict  # dimension -> code
    role: str = "value"  # value | total | offset (deficit covered: allowed in totals, not loaded) | unplaced
    restrict_title: str | None = None  # a "Totale titolo N" column sums only that title's macroaggregates
    label: str = ""  # header text as written
    placed_by: str = "name"  # name | order | mapping
    candidates: tuple[str, ...] = ()  # unplaced mission columns: the missions order leaves open
    cell: tuple[int, int] = (0, 0)  # (frame row, column) of the header cell, for findings
    group_text: str = ""  # two dimensions: the (folded) mission text shared by a group of kind columns
    group_label: str = ""  # the same text as written in the file
    group_cell: tuple[int, int] | None = None  # where that mission text is written (two-row headers: the row above)

    @property
    def total(self) -> bool:
        return self.role == "total"


@dataclass
class Header:
    row: int  # frame row of the (bottom) header row
    one_row: bool = False  # two dimensions written in one cell
    columns: list[Column] = field(default_factory=list)


def split_kind(text: str, year: int | None) -> tuple[str, str | None]:
    """``"turismo impegnato"`` → (``"turismo"``, ``"impegni"``): the longest trailing words naming a kind."""
    words = fold_text(text).split()
    for size in range(min(5, len(words) - 1), 0, -1):
        kind = amount_kind_of(" ".join(words[-size:]), year)
        if kind:
            return " ".join(words[:-size]), kind
    return " ".join(words), None


def _raw_group_text(raw, year: int | None) -> str:
    """The mission part of a one-row header cell as written (the cell without its trailing kind words)."""
    words = str(raw or "").split()
    for size in range(min(5, len(words) - 1), 0, -1):
        if amount_kind_of(" ".join(words[-size:]), year):
            return " ".join(words[:-size])
    return " ".join(words)


def _match(dim: str, text: str, year: int | None) -> str | None:
    return amount_kind_of(text, year) if dim == "amount_kind" else MATCHERS[dim](text)


def _candidate_rows(frame: pl.DataFrame, minimum: int, lone: bool = False) -> list[int]:
    """Rows with at least ``minimum`` text (non-number) cells: the only rows that can be headers. ``lone``: also rows
    with a single text cell and no number (the one item of a short table whose other captions are merged down from the
    row above)."""
    texts = [(pl.col(c).is_not_null() & ~pl.col(c).str.contains(_NUMBER)).cast(pl.Int16) for c in frame.columns]
    numbers = [(pl.col(c).is_not_null() & pl.col(c).str.contains(_NUMBER)).cast(pl.Int16) for c in frame.columns]
    counts = frame.select(pl.sum_horizontal(texts).alias("n"), pl.sum_horizontal(numbers).alias("k")).with_row_index(
        "_i"
    )
    wanted = (pl.col("n") >= minimum) | ((pl.col("n") >= 1) & (pl.col("k") == 0) if lone else pl.lit(False))
    return counts.filter(wanted)["_i"].to_list()


def _total_above(frame: pl.DataFrame, index: int, cells: list[str], total: re.Pattern) -> bool:
    """A total caption in the row above, over a cell this row leaves blank: a two-row header whose ``TOTALE`` is merged
    down."""
    if index == 0:
        return False
    return any(
        not cell and above is not None and total.search(fold_text(above))
        for above, cell in zip(frame.row(index - 1), cells)
    )


def find_headers(
    frame: pl.DataFrame, dims: list[str], minimum: int, year: int | None, total_pattern: str = "^totale"
) -> list[Header]:
    """Every header row of the sheet, top to bottom (one per table).

    A header names at least ``minimum`` items, or, for a short table (title 5 has one
    macroaggregate; a sheet of title 4 may show only 4.03), at least one item beside a total
    column - on the same row, or merged down from the row above - and holds no numbers.
    """
    last = dims[-1]
    found: list[Header] = []
    total = re.compile(total_pattern)
    for index in _candidate_rows(frame, min(minimum, 2), lone=len(dims) == 1):
        raw = frame.row(index)
        numbers = any(v is not None and re.match(_NUMBER, v) for v in raw)
        cells = [
            fold_text(v) if v is None or not re.match(_NUMBER, v) else "" for v in raw
        ]  # an amount never names a column
        matched = sum(1 for c in cells if c and _match(last, c, year))
        short_table = (
            matched >= 1
            and not numbers
            and (
                any(total.search(c) for c in cells if c) or len(dims) == 1 and _total_above(frame, index, cells, total)
            )
        )
        if matched >= minimum or (len(dims) == 1 and short_table):
            if len(dims) == 2 and index > 0 or len(dims) == 1:
                found.append(Header(index))
        elif len(dims) == 2 and not numbers and sum(1 for c in cells if c and all(split_kind(c, year))) >= minimum:
            found.append(Header(index, one_row=True))
    # a table's header row repeated on the next line (two-row headers) is one header
    return [h for i, h in enumerate(found) if i == 0 or h.row != found[i - 1].row + 1]


def place_columns(
    spec: dict, frame: pl.DataFrame, header: Header, year: int | None, mapping: dict | None = None
) -> list[Column]:
    """What each column of this header carries; label columns (left of the first amount) are left out."""
    dims = spec["header"]["dimensions"]
    total_pattern = re.compile(spec["header"]["total_pattern"])
    offset_pattern = re.compile(spec["header"]["offset_pattern"]) if spec["header"].get("offset_pattern") else None
    mapped = {fold_text(k): v for k, v in (mapping or {}).get("columns", {}).items()}
    raw_bottom = list(frame.row(header.row))
    two_rows = len(dims) == 2 and not header.one_row
    raw_top, top_origin = _fill_right(list(frame.row(header.row - 1))) if two_rows else ([None] * len(raw_bottom), [])
    merged_down = list(frame.row(header.row - 1)) if len(dims) == 1 and header.row > 0 else [None] * len(raw_bottom)
    columns: list[Column] = []
    first_value = None
    for index, raw in enumerate(raw_bottom):
        if (
            not fold_text(raw)
            and merged_down[index] is not None
            and total_pattern.search(fold_text(merged_down[index]))
        ):
            raw = merged_down[index]  # "TOTALE" written on the row above, merged down over a two-row header
        top_raw = raw_top[index]
        label = " ".join(str(v).strip() for v in (top_raw, raw) if v and str(v).strip())
        text, top_text = fold_text(raw), fold_text(top_raw)
        if not text and not top_text:
            continue
        cell = (header.row - 1, top_origin[index]) if two_rows and not text else (header.row, index)
        group_cell = (header.row - 1, top_origin[index]) if two_rows and top_origin[index] is not None else cell
        if header.one_row:
            top_text, kind = split_kind(text, year)
            text = fold_text(raw) if kind is None else text
        else:
            kind = _match(dims[-1], text, year) if text else None
        whole = f"{top_text} {text}".strip()
        if fold_text(label) in mapped:
            target = mapped[fold_text(label)]
            if target == "ignora":
                continue
            columns.append(Column(f"c{index}", index, dict(target), label=label, placed_by="mapping", cell=cell))
            first_value = index if first_value is None else first_value
            continue
        if offset_pattern and (offset_pattern.search(top_text) or offset_pattern.search(whole)):
            columns.append(Column(f"c{index}", index, {}, role="offset", label=label, cell=cell))
            continue
        if (
            total_pattern.search(text)
            or total_pattern.search(top_text)
            or (header.one_row and total_pattern.search(whole))
        ):
            title = re.search(r"titolo (\d)", whole)
            dims_of_total = {"amount_kind": kind} if kind and "amount_kind" in dims else {}
            columns.append(
                Column(
                    f"c{index}",
                    index,
                    dims_of_total,
                    role="total",
                    restrict_title=title.group(1) if title else None,
                    label=label,
                    cell=cell,
                )
            )
            continue
        if len(dims) == 1:
            code = kind if dims[0] == "amount_kind" else (_match(dims[0], text, year) if text else None)
            if code:
                columns.append(Column(f"c{index}", index, {dims[0]: code}, label=label, cell=cell))
                first_value = index if first_value is None else first_value
            elif first_value is not None:
                columns.append(Column(f"c{index}", index, {}, role="unplaced", label=label, cell=cell))
            continue
        # two dimensions: mission (top text) x kind
        if kind is None:
            if first_value is not None:
                columns.append(Column(f"c{index}", index, {}, role="unplaced", label=label, cell=cell))
            continue
        if top_text in mapped and mapped[top_text] == "ignora":
            continue
        by_mapping = top_text in mapped
        mission = mapped[top_text].get("missione") if by_mapping else (mission_of(top_text) if top_text else None)
        columns.append(
            Column(
                f"c{index}",
                index,
                {"amount_kind": kind, "missione": mission},
                label=label,
                cell=cell,
                placed_by="mapping" if by_mapping else "name",
                group_text=top_text,
                group_cell=group_cell,
                group_label=_raw_group_text(raw, year) if header.one_row else str(top_raw or "").strip(),
            )
        )
        first_value = index if first_value is None else first_value
    if len(dims) == 2:
        _place_missions(columns)
    return columns


def _fill_right(row: list) -> tuple[list, list]:
    """Merged header cells: a mission name spreads over the kinds beneath it (and where it is written)."""
    filled, origin, current, at = [], [], None, None
    for index, cell in enumerate(row):
        if cell not in (None, ""):
            current, at = cell, index
        filled.append(current)
        origin.append(at)
    return filled, origin


def _place_missions(columns: list[Column]) -> None:
    """Groups of kind columns under one mission text: by name, then by the scheme's mission order."""
    groups: list[list[Column]] = []
    for column in columns:
        if column.role != "value" or column.placed_by == "mapping":
            continue
        if (
            groups
            and groups[-1][0].group_text == column.group_text
            and column.dims["amount_kind"] not in {c.dims["amount_kind"] for c in groups[-1]}
        ):
            groups[-1].append(column)
        else:
            groups.append([column])
    codes = [g[0].dims.get("missione") for g in groups]
    for code in {c for c in codes if c}:  # one mission claimed by two groups: neither name is trusted
        if codes.count(code) > 1:
            codes = [None if c == code else c for c in codes]
    order = mission_order()
    used = {c for c in codes if c} | {c.dims.get("missione") for c in columns if c.placed_by == "mapping"}
    index = 0
    while index < len(groups):
        if codes[index]:
            index += 1
            continue
        end = index
        while end < len(groups) and not codes[end]:
            end += 1
        before = next((codes[i] for i in range(index - 1, -1, -1) if codes[i]), None)
        after = codes[end] if end < len(groups) else None
        low = order.index(before) + 1 if before else 0
        high = order.index(after) if after else len(order)
        open_missions = [m for m in order[low:high] if m not in used]
        for offset, group in enumerate(groups[index:end]):
            if len(open_missions) == end - index:
                mission, how, candidates = open_missions[offset], "order", (open_missions[offset],)
            else:
                mission, how, candidates = None, "name", tuple(open_missions)
            for column in group:
                column.dims["missione"] = mission
                column.placed_by = how
                column.candidates = candidates
                if mission is None:
                    column.role = "unplaced"
        index = end
    for group, code in zip(groups, codes):
        if code:
            for column in group:
                column.dims["missione"] = code
                column.candidates = ()
