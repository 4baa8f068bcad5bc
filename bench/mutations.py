"""Hand-made mutations: does the suite catch each one? (Issue 25: "Rules the suite lets break", 1-12; the rules of
item 1, 13-40; issue 27, 41-57; issue 28: the asset graph, 58-65; the table registry, 66-73; issue 29: the matrix's
labels and the quadrants' names, 74-79; the command line in words, 80-85; the workbook that prints whole, 86-90; the
officer's words and the planner's home, 91-98; readiness from the run, 99-102; the
commands' stages, 103; issue 30: bodies as data in the year, the launcher, the caches, 104-113; the year layer in
bounded memory, 114-117.)

    .venv/bin/python bench/mutations.py [--only 1 5 12] [--list] [--no-baseline] [--timeout 900]

Each mutation is a bug a developer could plausibly write, given as exact text replacements in one file
of the product. For each one in turn the script writes the mutated text, runs the test files named for
it (``pytest -x -q``) and restores the file; it reports ``caught`` (a test failed), ``survived`` (all
green), ``timeout``, or ``not applicable`` (the text to mutate is no longer in the file exactly once: the
code changed, update the mutation here). Files are restored whatever happens (an error, Ctrl-C, SIGTERM),
with their original modification time, so no stale byte code is left either way.

Before the mutations, the same test files run once unmutated (``--no-baseline`` skips it): a mutation is
only "caught" if those files are green without it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    number: int
    rule: str
    path: str
    replacements: tuple[tuple[str, str], ...]  # (original text, mutated text), each found exactly once
    tests: tuple[str, ...]


MUTATIONS = [
    Mutation(
        1,
        "a later receipt already in the warehouse is looked up from the batch's newest receipt, not its oldest",
        "warehouse/uploads.py",
        (("        [min(seqs)],\n", "        [max(seqs)],\n"),),
        ("tests/test_ingest.py", "tests/test_replacements.py", "tests/test_intake_authorisation.py"),
    ),
    Mutation(
        2,
        "BDAP reconciliation adds the derived total (pagamenti = competenza + residui) where the total is reported",
        "transforms/reconcile.py",
        (
            (
                '~pl.col("_kinds").list.contains(total), *[pl.col("_kinds").list.contains(p) for p in parts]',
                '*[pl.col("_kinds").list.contains(p) for p in parts]',
            ),
        ),
        ("tests/test_reconciliation.py",),
    ),
    Mutation(
        3,
        "a rerun that compared no output is reported identical",
        "pipelines/rerun.py",
        (("return not self.refused and bool(self.compared) and all(", "return not self.refused and all("),),
        ("tests/test_manifest.py", "tests/test_cli.py"),
    ),
    Mutation(
        4,
        "national province codes not zero-padded ('1' never matches Torino's '001')",
        "transforms/national.py",
        (
            (
                'code_text(pl.col("province_code")).str.zfill(3).alias("province_code")',
                'code_text(pl.col("province_code")).alias("province_code")',
            ),
        ),
        ("tests/test_national.py", "tests/test_reconciliation.py"),
    ),
    Mutation(
        5,
        "receipts marked loaded before the warehouse commits",
        "warehouse/loading.py",
        (
            (
                "            uploads.load(con, [o.upload for o in batch])\n",
                (
                    "            if settle:\n"
                    "                receipts.settle(settings, {o.receipt.seq: receipts.CURRENT for o in batch})\n"
                    "            uploads.load(con, [o.upload for o in batch])\n"
                ),
            ),
        ),
        ("tests/test_ingest.py", "tests/test_replacements.py", "tests/test_intake_authorisation.py"),
    ),
    Mutation(
        6,
        "a macro-enabled content type no longer rejected",
        "sources/container.py",
        (('if macro_parts or b"macroEnabled" in content_types:', "if macro_parts:"),),
        ("tests/test_malformed_corpus.py", "tests/test_hostile_inputs.py"),
    ),
    Mutation(
        7,
        "regions-only macroaggregates no longer flagged",
        "sources/checks.py",
        (
            (
                ('        | set(macroaggregates().filter(pl.col("regions_only"))["code"])\n'),
                (""),
            ),
        ),
        ("tests/test_malformed_corpus.py", "tests/test_batch_validation.py", "tests/test_official_files.py"),
    ),
    Mutation(
        8,
        "header detection no longer considers short tables (a header row of one item and a total)",
        "sources/readers/headers.py",
        (("if matched >= minimum or (len(dims) == 1 and short_table):", "if matched >= minimum:"),),
        ("tests/test_official_files.py", "tests/test_layouts_roundtrip.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        9,
        "two portfolio weights swapped (manoeuvrability 0.20 <-> peer_gap 0.15)",
        "areavasta/data/portfolio/priorities.yaml",
        (
            ("  manoeuvrability: 0.20  #", "  manoeuvrability: 0.15  #"),
            ("  peer_gap: 0.15         #", "  peer_gap: 0.20         #"),
        ),
        ("tests/test_portfolio.py", "tests/test_docs.py"),
    ),
    Mutation(
        10,
        "the kick-start amount not clipped to its bounds",
        "transforms/plans.py",
        (
            (
                '(pl.col("total_cents") * share).clip(min_eur * 100, max_eur * 100).round(0)',
                '(pl.col("total_cents") * share).round(0)',
            ),
        ),
        ("tests/test_plans.py",),
    ),
    Mutation(
        11,
        "the upload size limit loosened by 64 KiB",
        "dashboards/portal.py",
        (("        if len(data) > max_bytes:\n", "        if len(data) > max_bytes + 64 * 1024:\n"),),
        ("tests/test_portal.py", "tests/test_portal_security.py"),
    ),
    Mutation(
        12,
        "quartile tiers: ties ranked 'min' instead of 'ordinal'",
        "transforms/portfolio.py",
        (('rank = s.rank("ordinal", descending=True).over(KEYS)', 'rank = s.rank("min", descending=True).over(KEYS)'),),
        ("tests/test_portfolio.py",),
    ),
    # issue 25, item 1: sizes measured while streaming, findings capped, checks in worker processes
    Mutation(
        13,
        "sheet size taken from its <dimension> tag, not measured on the cells",
        "sources/container.py",
        (("    rows, columns = extent.size\n", "    rows, columns = sheet.rows, sheet.columns\n"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        14,
        "the area limit (max_cells) dropped from the sheet check",
        "sources/container.py",
        (
            (
                "    if rows > settings.max_rows or columns > settings.max_columns or rows * columns >"
                " settings.max_cells:\n        return [",
                "    if rows > settings.max_rows or columns > settings.max_columns:\n        return [",
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        15,
        "the count no longer stops once the area passes a limit",
        "sources/sheet_extent.py",
        (
            (
                "        return rows > settings.max_rows or columns > settings.max_columns or rows * columns >"
                " settings.max_cells\n",
                "        return rows > settings.max_rows or columns > settings.max_columns\n",
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        16,
        "a row continued from the piece before compared the wrong way",
        "sources/sheet_extent.py",
        (('block.find(b\'<c r="\') < block.find(b"<row ")', 'block.find(b\'<c r="\') > block.find(b"<row ")'),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        17,
        "CSV fields never counted",
        "sources/container.py",
        (("        fields = line.count(delimiter) + 1\n", "        fields = 1\n"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        18,
        "CSV separators inside quotes counted as fields",
        "sources/container.py",
        (
            (
                "            fields = max((len(row) for row in csv.reader([line], delimiter=delimiter)), default=0)\n",
                "            pass\n",
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        19,
        "a tag cut between two pieces read as two",
        "sources/sheet_extent.py",
        (('cut = text.rfind(b">") + 1 if chunk else len(text)', "cut = len(text)"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        20,
        "a row without its reference does not follow the row before",
        "sources/sheet_extent.py",
        (
            (
                "row, col = (int(ref.group(2)) if ref and ref.group(2) else row + 1), -1",
                "row, col = (int(ref.group(2)) if ref and ref.group(2) else row), -1",
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        21,
        "a cell without its reference does not follow the cell before",
        "sources/sheet_extent.py",
        (
            (
                "col = col_index(ref.group(1)) if ref and ref.group(1) else col + 1",
                "col = col_index(ref.group(1)) if ref and ref.group(1) else col",
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        22,
        "pieces with unreferenced cells measured by the quick path",
        "sources/sheet_extent.py",
        (('if len(letters) != block.count(b"<c") or len(rows) != block.count(b"<row"):', "if False:"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        23,
        "a row that holds no cell counted as a row",
        "sources/sheet_extent.py",
        (("opened = [int(n) for n, closed in rows if not closed]", "opened = [int(n) for n, closed in rows]"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        24,
        "an oversized CSV accepted",
        "sources/container.py",
        (
            (
                '        return None, [\n            Finding(\n                "CSV_TOO_LARGE",',
                '        return Container(path=path, kind="csv", text=text), [] or [\n'
                '            Finding(\n                "CSV_TOO_LARGE",',
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        25,
        "capping the findings no longer keeps the errors first",
        "sources/findings.py",
        (("    errors = [i for i, f in enumerate(findings) if f.is_error][:limit]", "    errors = [][:limit]"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        26,
        "the findings cap one too loose",
        "sources/findings.py",
        (("    if len(findings) <= limit:", "    if len(findings) <= limit + 1:"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        27,
        "the rows counted by FINDINGS_MORE lost when findings are capped",
        "sources/findings.py",
        (
            (
                'count = sum(int(f.params.get("count", 1)) if f.code == "FINDINGS_MORE" else 1 for f in left_out)',
                "count = len(left_out)",
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        28,
        "every row of a broken rule listed",
        "sources/checks.py",
        (
            (
                'broken.filter(pl.int_range(pl.len()).over("_part") < PER_RULE)',
                'broken.filter(pl.int_range(pl.len()).over("_part") < 10**9)',
            ),
        ),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        29,
        "FINDINGS_MORE counts the rows listed too",
        "sources/checks.py",
        (('params={"count": count - PER_RULE}', 'params={"count": count}'),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        30,
        "repeated keys never counted past the rows listed",
        "sources/checks.py",
        (("    _more(repeated, requests, results)\n", "\n"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        31,
        "findings not capped per file",
        "sources/intake.py",
        (("        self.findings = capped(self.findings)", "        pass"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        32,
        "the offset of a lying dimension not taken from the measured cells",
        "sources/grid.py",
        (("        first_row, first_col = sheet.cells_at", "        pass"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        33,
        "every amount-kind label looked up, however many",
        "sources/readers/table.py",
        ((".head(MAX_KIND_LABELS)", ""),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        34,
        "max_cells loosened in settings.yaml",
        "areavasta/data/settings.yaml",
        (("max_cells: 3000000", "max_cells: 50000000000"),),
        ("tests/test_resource_limits.py", "tests/test_malformed_corpus.py"),
    ),
    Mutation(
        35,
        "uploads checked in the portal's threads, not in workers",
        "dashboards/intake_worker.py",
        (
            (
                "    if workers() == 0:\n        return await run_in_threadpool",
                "    if True:\n        return await run_in_threadpool",
            ),
        ),
        ("tests/test_intake_worker.py",),
    ),
    Mutation(
        36,
        "no memory bound on a worker",
        "dashboards/intake_worker.py",
        (("    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))", "    pass"),),
        ("tests/test_intake_worker.py",),
    ),
    Mutation(
        37,
        "a broken worker pool reused",
        "dashboards/intake_worker.py",
        (("        _discard(pool)\n", "\n"),),
        ("tests/test_intake_worker.py",),
    ),
    Mutation(
        38,
        "the worker does not see the portal's settings of the moment",
        "dashboards/intake_worker.py",
        (("    os.environ.update(environment)", "    pass"),),
        ("tests/test_intake_worker.py",),
    ),
    Mutation(
        39,
        "the worker keeps settings the portal dropped",
        "dashboards/intake_worker.py",
        (("        del os.environ[key]", "        pass"),),
        ("tests/test_intake_worker.py",),
    ),
    Mutation(
        40,
        "a worker that died takes the upload down with it",
        "dashboards/portal.py",
        (("            result, receipt = intake_worker.refused(raw, original), None", "            raise"),),
        ("tests/test_intake_worker.py",),
    ),
    # issue 27: BDAP's summaries give every amount kind; each rule broken once
    Mutation(
        41,
        "BDAP's typo 'Fondo Puriennale Vincolato' dropped from the missions profile",
        "areavasta/data/layouts/50_bdap_missions.yaml",
        (
            (
                "  fpv: [fondo puriennale vincolato, fondo pluriennale vincolato, fpv]",
                "  fpv: [fondo pluriennale vincolato, fpv]",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        42,
        "BDAP's singular 'Pagamenti C/Residuo' dropped from the missions profile",
        "areavasta/data/layouts/50_bdap_missions.yaml",
        (("  pagamenti_residui: [pagamenti c residuo, ", "  pagamenti_residui: ["),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        43,
        "the revenue profile's 'Pre.  Def. in CC' (two spaces, folded) dropped",
        "areavasta/data/layouts/52_bdap_revenue.yaml",
        (("  stanziamento: [pre def in cc, ", "  stanziamento: ["),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        44,
        "the national profile loses the opening residues",
        "areavasta/data/layouts/48_bdap_programmes.yaml",
        (("  residui_passivi_iniziali: [residui passivi iniziali, res pass iniziali]\n", ""),),
        ("tests/test_bdap_all_kinds.py",) + ("tests/test_national.py",),
    ),
    Mutation(
        45,
        "the reassessment's sign flipped in the residues from earlier years (EP = RS - PR - R)",
        "areavasta/data/plausibility.yaml",
        (
            (
                "parts: {residui_passivi_iniziali: 1, pagamenti_residui: -1, riaccertamenti_residui: 1}",
                "parts: {residui_passivi_iniziali: 1, pagamenti_residui: -1, riaccertamenti_residui: -1}",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        46,
        "the reassessment may not be negative",
        "areavasta/data/amount_kinds.csv",
        (('rendiconto,both,true,"What the reassessment', 'rendiconto,both,false,"What the reassessment'),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        47,
        "the relations' tolerance loosened to a thousand euro",
        "areavasta/data/plausibility.yaml",
        (("relation_tolerance_cents: 2 ", "relation_tolerance_cents: 100000 "),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        48,
        "a re-saved province code '15.0' read as it is",
        "sources/readers/table.py",
        (
            (
                '_province=code_text(pl.col("province_code")).str.zfill(3)',
                '_province=pl.col("province_code").str.strip_chars().str.zfill(3)',
            ),
        ),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        49,
        "BDAP's zero-padded title '01' no longer read",
        "transforms/codes.py",
        ((r'str.extract(r"^(?i:titolo\s*)?0?(\d)(?:\D|$)", 1)', r'str.extract(r"^(?i:titolo\s*)?(\d)(?:\D|$)", 1)'),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        50,
        "a tipologia written as its number (101) not completed with its title",
        "sources/readers/table.py",
        (('    if "tipologia" in dims and "titolo" in dims:\n', "    if False:\n"),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        51,
        "a total caption merged down over a two-row header not looked for",
        "sources/readers/headers.py",
        (
            (
                "any(total.search(c) for c in cells if c) or len(dims) == 1 and _total_above(frame, index, cells,"
                " total)",
                "any(total.search(c) for c in cells if c) or False",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",) + ("tests/test_official_files.py",),
    ),
    Mutation(
        52,
        "the merged-down TOTALE not taken as the table's total column",
        "sources/readers/headers.py",
        (('            raw = merged_down[index]  # "TOTALE"', '            pass  # "TOTALE"'),),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        53,
        "a column recognised but not kept dropped silently",
        "sources/readers/table.py",
        (
            (
                "        for i, reason in others.not_kept.items()\n    ]",
                "        for i, reason in others.not_kept.items()\n        if False\n    ]",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        54,
        "an empty unknown column (a re-save's Unnamed: 30) reported",
        "sources/readers/table.py",
        (
            (
                "            for i, filled in zip(others.unknown, below)\n            if filled\n",
                "            for i, filled in zip(others.unknown, below)\n",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        55,
        "an unknown column with values dropped silently",
        "sources/readers/table.py",
        (
            (
                "            for i, filled in zip(others.unknown, below)\n            if filled\n",
                "            for i, filled in zip(others.unknown, below)\n            if False\n",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",),
    ),
    Mutation(
        56,
        "BDAP_NO_BODY no longer names the bodies the file holds",
        "sources/readers/table.py",
        (
            (
                'params={"detail": "", "found": ", ".join(shown) + more if shown else "—"},',
                'params={"detail": "", "found": "—"},',
            ),
        ),
        ("tests/test_bdap_all_kinds.py",) + ("tests/test_malformed_corpus.py",),
    ),
    Mutation(
        57,
        "a relation checked even when the file lacks one of its kinds",
        "transforms/relations.py",
        (
            (
                '        complete = present.filter(*[pl.col("_kinds").list.contains(k) for k in needed])',
                "        complete = present",
            ),
        ),
        ("tests/test_bdap_all_kinds.py",) + ("tests/test_official_files.py", "tests/test_layouts_roundtrip.py"),
    ),
    # issue 28: the asset graph from declarations, every write in the graph
    Mutation(
        58,
        "a stage may read a table its declaration does not name",
        "pipelines/reader.py",
        (
            (
                "        named = {name.lower() for name in CORE_TABLE.findall(sql)} - self.tables\n",
                "        named = set()\n",
            ),
        ),
        ("tests/test_table_producers.py",),
    ),
    Mutation(
        59,
        "a table read that nothing writes is ignored when the definitions load",
        "pipelines/factory.py",
        (
            (
                "    missing = [t for t in stage.reads if t not in written_by and t not in BOOKKEEPING]\n",
                "    missing = []\n",
            ),
        ),
        ("tests/test_table_producers.py",),
    ),
    Mutation(
        60,
        "a stage joins the first layer after its inputs whatever that layer's partitions",
        "pipelines/factory.py",
        (
            (
                "            index = next((i for i in range(floor, len(found)) if found[i][0] == stage.partitions), "
                "len(found))\n",
                "            index = next((i for i in range(floor, len(found))), len(found))\n",
            ),
        ),
        ("tests/test_graph_order.py",),
    ),
    Mutation(
        61,
        "the sensor's tick loads the pending receipts itself, as it used to",
        "pipelines/sensors.py",
        (
            (
                "    requests = [r for r in [folder_request(settings)] if r is not None]\n",
                "    __import__('warehouse.loading').loading.load_receipts(settings)\n"
                "    requests = [r for r in [folder_request(settings)] if r is not None]\n",
            ),
        ),
        ("tests/test_sensor_writes_nothing.py",),
    ),
    Mutation(
        62,
        "budget_lines checks the lines without loading the pending receipts first",
        "pipelines/graph.py",
        (("        prepare=load_pending,\n", ""),),
        ("tests/test_sensor_writes_nothing.py",),
    ),
    Mutation(
        63,
        "without a cursor the sensor starts from the last load, missing loads made after its first tick",
        "pipelines/sensors.py",
        (
            (
                "    return fresh, max([cursor or started, *(r.loaded_at for r in fresh)])\n",
                '    return fresh, max([cursor or "", *(r.loaded_at for r in fresh)]) or None\n',
            ),
        ),
        ("tests/test_sensor_writes_nothing.py", "tests/test_replacements.py"),
    ),
    Mutation(
        64,
        "an intake run that received some files does not fail for the rejected ones",
        "pipelines/inbox.py",
        (("    if rejected:\n", "    if rejected and not registered:\n"),),
        ("tests/test_pipeline.py",),
    ),
    Mutation(
        65,
        "the intake run receives a file replaced since the sensor noticed it",
        "pipelines/inbox.py",
        (("        if not path.is_file() or file_key(path) != key:\n", "        if not path.is_file():\n"),),
        ("tests/test_sensor_writes_nothing.py",),
    ),
    # issue 28: the table registry (warehouse/tables.py), one declaration per table
    Mutation(
        66,
        "a frame with a column its table does not declare is written (the column silently dropped)",
        "warehouse/table.py",
        (("        unexpected = [c for c in schema if c not in self.dtypes]\n", "        unexpected = []\n"),),
        ("tests/test_table_registry.py",),
    ),
    Mutation(
        67,
        "a frame of another type is cast to the declared one instead of refused",
        "warehouse/table.py",
        (("        if wrong and frame.height == 0:", "        if wrong:"),),
        ("tests/test_table_registry.py",),
    ),
    Mutation(
        68,
        "the tables' pandera schemas no longer strict (an undeclared column passes the check)",
        "warehouse/table.py",
        (("            strict=True,\n", "            strict=False,\n"),),
        ("tests/test_table_registry.py",),
    ),
    Mutation(
        69,
        "an undeclared table name read or written as if it were declared",
        "warehouse/tables.py",
        (
            (
                "        raise UnknownTable(table) from None",
                '        return declare(table, "?", ("body",), FIELDS)',
            ),
        ),
        ("tests/test_table_registry.py", "tests/test_table_schemas.py"),
    ),
    Mutation(
        70,
        "a column added to a declaration never reaches a warehouse that has the table",
        "warehouse/store.py",
        (
            (
                "            if table.name in present and column.name not in present[table.name]:",
                "            if False:",
            ),
        ),
        ("tests/test_table_registry.py", "tests/test_warehouse_replace.py"),
    ),
    Mutation(
        71,
        "replacing a partition empties the whole table",
        "warehouse/store.py",
        (
            (
                '        con.execute(f"DELETE FROM {table.qualified} t USING _keys k WHERE {match}")',
                '        con.execute(f"DELETE FROM {table.qualified}")',
            ),
        ),
        ("tests/test_warehouse_replace.py",),
    ),
    Mutation(
        72,
        "the register of uploads gains its content column with no default (older files no longer budgets)",
        "warehouse/tables.py",
        (('    defaults={"content": "\'budget\'"},', "    defaults={},"),),
        ("tests/test_table_registry.py",),
    ),
    Mutation(
        73,
        "a stage of the graph may write a table the registry does not declare (found only when it stores)",
        "pipelines/factory.py",
        (("                tables.get(table)\n", "                pass\n"),),
        ("tests/test_table_producers.py",),
    ),
    Mutation(
        74,
        "a matrix label may cover a mark (the placement forgets the circles)",
        "dashboards/label_layout.py",
        (("    if any(box.hits_circle(m.x, m.y, m.r) for m in marks):", "    if False:"),),
        ("tests/test_matrix_labels.py",),
    ),
    Mutation(
        75,
        "two matrix labels may overlap (the placement forgets the labels already placed)",
        "dashboards/label_layout.py",
        (("    if not box.inside(area) or any(box.overlaps(b) for b in boxes):", "    if not box.inside(area):"),),
        ("tests/test_matrix_labels.py",),
    ),
    Mutation(
        76,
        "the chart's size scale no longer the one the placement counts marks with (bubbles larger than placed for)",
        "dashboards/charts.py",
        (("zero=True, range=list(SIZE_RANGE)),", "zero=True, range=[40, 1600]),"),),
        ("tests/test_matrix_labels.py",),
    ),
    Mutation(
        77,
        "a mission's view keeps the labels placed among every mark (hidden marks push its labels away)",
        "dashboards/charts.py",
        (("width, height, views=interactive)", "width, height, views=False)"),),
        ("tests/test_matrix_labels.py",),
    ),
    Mutation(
        78,
        'the chart names a quadrant its own way (the bottom-left loses "network")',
        "dashboards/matrix_labels.py",
        (
            (
                "            f\"→ {r[f'governance_{lang}']}\",",
                "            f\"→ {r[f'governance_{lang}'].replace(' / network', '')}\",",
            ),
        ),
        ("tests/test_matrix_labels.py",),
    ),
    Mutation(
        79,
        "a data file names a quadrant again (a second copy of quadrants.csv's words)",
        "areavasta/data/report_labels.yaml",
        (
            (
                "transformation_potential: Trasformabilità per quadrante,",
                "transformation_potential: Trasformabilità per quadrante, indirect: servizi indiretti,",
            ),
        ),
        ("tests/test_matrix_labels.py",),
    ),
    Mutation(
        80,
        "classify prints a quadrant's internal key instead of its name from quadrants.csv",
        "cli/classified.py",
        (
            (
                'quadrant = names.get(row["quadrant"], "—") if row["quadrant"] else "—"',
                'quadrant = row["quadrant"] or "—"',
            ),
        ),
        ("tests/test_cli_words.py",),
    ),
    Mutation(
        81,
        "classify prints the degree of authority with a decimal point in Italian",
        "cli/classified.py",
        (('number(row["authority"], lang, 2)', "f\"{row['authority']:.2f}\""),),
        ("tests/test_cli_words.py",),
    ),
    Mutation(
        82,
        "rerun ultimo takes the latest manifest even when it recorded no outputs",
        "cli/reproducibility.py",
        (('            if found and found.get("outputs"):\n', "            if found:\n"),),
        ("tests/test_cli_words.py",),
    ),
    Mutation(
        83,
        "rerun recomputes a manifest that recorded no outputs (0 of 0 identical, exit 1, no reason)",
        "cli/reproducibility.py",
        (('        if not found.get("outputs"):\n', "        if False:\n"),),
        ("tests/test_cli_words.py",),
    ),
    Mutation(
        84,
        "diff at 60-80 columns prints its table with the code column squeezed (04.…)",
        "cli/diff.py",
        (
            ("        if console.width < WIDE:\n", "        if console.width < 0:\n"),
            (
                'table.add_column(column, no_wrap=True, min_width=max(code_width, len(column)), overflow="fold")',
                "table.add_column(column, no_wrap=True, ratio=1)",
            ),
        ),
        ("tests/test_cli_words.py",),
    ),
    Mutation(
        85,
        "diff of a forecast finds nothing to compare when only the previous year's final accounts are loaded",
        "cli/diff.py",
        (
            (
                '            "always" if final_accounts else "missing",\n',
                '            "always" if final_accounts else "never",\n',
            ),
        ),
        ("tests/test_cli_words.py",),
    ),
    Mutation(
        86,
        "the workbook's rows keep the default height: wrapped labels print over the next row",
        "dashboards/workbook_fit.py",
        (("        sheet.ws.set_row(row, height)\n", "        pass\n"),),
        ("tests/test_report.py",),
    ),
    Mutation(
        87,
        "a text cell of the workbook does not wrap: a label longer than its column is cut or runs over the next",
        "dashboards/workbook_sheet.py",
        (
            (
                'self.ws.write_string(row, col, str(value), self.fmt["bold" if bold else "wrap"])',
                "self.ws.write_string(row, col, str(value), self.fmt.get(style))",
            ),
        ),
        ("tests/test_report.py",),
    ),
    Mutation(
        88,
        'a workbook column narrower than its longest word or figure (headers split as "Punteggi o")',
        "dashboards/workbook_fit.py",
        (
            (
                "sheet.widths[c] if c in sheet.fixed else max(floor[c], min(want[c], sheet.widths[c]))",
                "sheet.widths[c] if c in sheet.fixed else min(want[c], sheet.widths[c])",
            ),
        ),
        ("tests/test_report.py",),
    ),
    Mutation(
        89,
        'the Sintesi\'s scores written as text with a decimal point ("82.0 / 100")',
        "dashboards/workbook_analysis.py",
        (
            (
                'named(r, inputs.lang)}",\n            (r["score"], "score"),',
                'named(r, inputs.lang)}",\n            f"{r[\'score\']:.1f} / 100",',
            ),
        ),
        ("tests/test_report.py",),
    ),
    Mutation(
        90,
        "the workbook's figures lose their Italian locale (LibreOffice prints 1,234.56 on an English machine)",
        "dashboards/workbook_sheet.py",
        (('LOCALE = {"it": "[$-410]", "en": "[$-809]"}', 'LOCALE = {"it": "", "en": "[$-809]"}'),),
        ("tests/test_report.py",),
    ),
    Mutation(
        91,
        "the marked copy of the findings is saved over the file as received",
        "dashboards/findings_copy.py",
        (("    book.save(out)\n", "    book.save(plain if plain is not None else out)\n"),),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        92,
        "a finding with a cell is marked on the first cell of its row",
        "dashboards/findings_copy.py",
        (("    if CELL.match(cell):\n", '    if CELL.match(cell) and not entry.get("row"):\n'),),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        93,
        "the JSON findings are a download beside the marked copy again, not under 'Altri formati'",
        "dashboards/templates/findings_formats.html",
        (
            ('<details class="formats"><summary>Altri formati</summary>\n<p>', "<p>"),
            ("</p>\n</details>", "</p>"),
        ),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        94,
        "the template link is fixed to this year's forecast whatever the form says",
        "dashboards/templates/home.html",
        (
            (
                'href="/template?year={{ chosen[0] }}&amp;phase={{ chosen[1] }}"',
                'href="/template?year={{ this_year }}&amp;phase=previsione"',
            ),
        ),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        95,
        "the template link does not follow a change of phase in the browser",
        "dashboards/static/portal.js",
        (('    form.elements.phase.addEventListener("change", follow);\n', ""),),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        96,
        "the planner's default list holds every body under the law-56 heading",
        "dashboards/portal_home.py",
        (
            (
                '    return table if everyone else table.filter(pl.col("l56_2014_ordinary_regime_inferred"))',
                "    return table",
            ),
        ),
        ("tests/test_portal_officer_words.py", "tests/test_portal.py"),
    ),
    Mutation(
        97,
        "the bodies are listed by name only, those with data no longer first",
        "dashboards/portal_home.py",
        (
            (
                '    rows.sort(key=lambda r: (not r["has_data"], plain(r["name"])))',
                '    rows.sort(key=lambda r: plain(r["name"]))',
            ),
        ),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        98,
        "the search no longer finds a body by its car plate",
        "dashboards/portal_home.py",
        (('plain(" ".join((code, row["sigla"] or "", row["name"]', 'plain(" ".join((code, row["name"]'),),
        ("tests/test_portal_officer_words.py",),
    ),
    Mutation(
        99,
        "readiness trusts the recorded file names without checking that the files are still the ones the run wrote",
        "sources/readiness.py",
        (
            (
                'return path if path.is_file() and digest(path) == entry["sha256"] else None',
                "return path if path.is_file() else None",
            ),
        ),
        ("tests/test_readiness.py",),
    ),
    Mutation(
        100,
        "a file no run has taken for more than a minute is still said to be 'in corso'",
        "sources/readiness.py",
        (("late = now - _at(receipt.received_at) > NOT_TAKEN_AFTER", "late = False"),),
        ("tests/test_readiness.py",),
    ),
    Mutation(
        101,
        "a stage that raises records nothing on the uploads waiting for it: their page says 'in preparazione'",
        "pipelines/factory.py",
        (("        readiness.record_failure(settings, scope.keys, context.run.run_id, stage.name)\n", ""),),
        ("tests/test_readiness.py",),
    ),
    Mutation(
        102,
        "the officer's upload page shows the file's SHA-256 again",
        "dashboards/templates/upload.html",
        (('{% if user.role != "officer" %} — impronta SHA-256', "{% if true %} — impronta SHA-256"),),
        ("tests/test_readiness.py",),
    ),
    Mutation(
        103,
        "areavasta report runs the stages the workbooks read from, not a layer's number",
        "pipelines/runner.py",
        (("            if producer in by_name and producer not in needed:", "            if False:"),),
        ("tests/test_graph_order.py",),
    ),
    Mutation(
        104,
        "a body an earlier stage of the run failed on is computed again by the later stages",
        "pipelines/body_scope.py",
        (("        self.keys = _without(self.wanted, self.skipped)", "        self.keys = self.wanted"),),
        ("tests/test_body_scope.py",),
    ),
    Mutation(
        105,
        "a body stage failing on one body fails the whole run (no body-by-body retry)",
        "pipelines/factory.py",
        (('            if not scope.by_body or keys["body"].n_unique() < 2:', "            if True:"),),
        ("tests/test_body_scope.py",),
    ),
    Mutation(
        106,
        "the run's tag naming its bodies is ignored: an upload recomputes every body",
        "pipelines/partitions.py",
        (('    return sorted({b.strip() for b in value.split(",") if b.strip()}) or None', "    return None"),),
        ("tests/test_body_runs.py", "tests/test_body_scope.py"),
    ),
    Mutation(
        107,
        "the UI's table per body no longer says which upload a body's figures come from",
        "pipelines/body_status.py",
        (
            (
                '        source = sources.get(str(body), "dati aperti nazionali (BDAP)")',
                '        source = "dati aperti nazionali (BDAP)"',
            ),
        ),
        ("tests/test_pipeline.py::test_run_materialises_every_stage_and_a_rerun_is_identical",),
    ),
    Mutation(
        108,
        "a body left out after an earlier stage failed on it passes the later stage's every_body_computed",
        "pipelines/body_scope.py",
        (("        passed=not failed and not skipped,", "        passed=not failed,"),),
        ("tests/test_body_scope.py",),
    ),
    Mutation(
        109,
        "the upload of a body a stage failed on says 'in preparazione' for ever",
        "pipelines/factory.py",
        (("        if scope.failed:\n", "        if False:\n"),),
        ("tests/test_body_scope.py",),
    ),
    Mutation(
        110,
        "the run launcher's fork server imports polars (a forked run can deadlock in its threads)",
        "pipelines/prewarm.py",
        (('    "dagster",\n', '    "dagster",\n    "polars",\n'),),
        ("tests/test_launcher.py",),
    ),
    Mutation(
        111,
        "the plan's actors are kept once for every region (another region's law cited)",
        "transforms/plan_parts.py",
        (
            (
                '    actors_of = memo(("actors", region), lambda: _actors_of(r["body"], catalogue))',
                '    actors_of = memo(("actors",), lambda: _actors_of(r["body"], catalogue))',
            ),
        ),
        ("tests/test_plan_regions.py",),
    ),
    Mutation(
        112,
        "the sensor's run for an upload names no body: it recomputes every body of the year",
        "pipelines/sensors.py",
        (
            (
                '                    tags={"areavasta/receipt": str(receipt.seq), **body_tags([body])},',
                '                    tags={"areavasta/receipt": str(receipt.seq)},',
            ),
        ),
        ("tests/test_sensor_writes_nothing.py", "tests/test_pipeline.py"),
    ),
    Mutation(
        113,
        "the text widths kept per text ignore the weight (bold measured as regular)",
        "dashboards/cell_text.py",
        (("    return _width(text, bold) * size / 11", "    return _width(text, False) * size / 11"),),
        ("tests/test_report.py::test_text_widths_are_kept_per_text_and_weight",),
    ),
    Mutation(
        114,
        "a year's peer benchmarks drawn from the years up to it, not from that year only (the year-at-a-time split)",
        "transforms/ranking.py",
        (('_year_peers(every.filter(pl.col("year") == y),', '_year_peers(every.filter(pl.col("year") <= y),'),),
        ("tests/test_memory_split.py",),
    ),
    Mutation(
        115,
        "indicator peers cut into parts by each body's own number of pairs, not the running total (out of order)",
        "transforms/indicators.py",
        (('_part=pl.col("len").cum_sum() // PAIRS_PER_PART', '_part=pl.col("len") // PAIRS_PER_PART'),),
        ("tests/test_memory_split.py",),
    ),
    Mutation(
        116,
        "a scenario's light matrix skips the cost recovery along with the sensitivity and the movement",
        "pipelines/stages.py",
        (("    matrix = with_cost_recovery(\n", "    matrix = matrix if light else with_cost_recovery(\n"),),
        ("tests/test_memory_split.py",),
    ),
    Mutation(
        117,
        "the schema check of a national backfill reads back only its first year",
        "pipelines/checks.py",
        (
            (
                "            for part in parts:  # the first 20 failure cases",
                "            for part in parts[:1]:  # the first 20 failure cases",
            ),
        ),
        ("tests/test_table_registry.py",),
    ),
    Mutation(
        118,
        "the warehouse's catalogue read again at every read through a stage's reader (the connection's copy not used)",
        "warehouse/store.py",
        (('    known = _KNOWN.get(getattr(con, "catalogue_id", id(con)))', "    known = _KNOWN.get(id(con))"),),
        ("tests/test_store_schema_cache.py",),
    ),
    Mutation(
        119,
        "a table or column created on a connection not seen by its later reads (the catalogue copy not refreshed)",
        "warehouse/store.py",
        (("    if missing or added:\n        _forget(con)\n", "    if missing or added:\n        pass\n"),),
        ("tests/test_store_schema_cache.py",),
    ),
    Mutation(
        120,
        "a table created by a write that rolled back still believed there by the connection",
        "warehouse/store.py",
        (("        _forget(con)  # a table created inside the transaction is gone again\n", ""),),
        ("tests/test_store_schema_cache.py",),
    ),
    Mutation(
        121,
        "the deployment's instance keeps opening a PostgreSQL connection per query (no pool)",
        "pipelines/deployment_instance.py",
        (("        instance.optimize_for_webserver(**POOL)\n", "        pass\n"),),
        ("tests/test_launcher.py",),
    ),
    Mutation(
        122,
        "the sensor daemon's round left at Dagster's 5 s",
        "pipelines/deployment_instance.py",
        (
            (
                "        loop.MIN_INTERVAL_LOOP_TIME = min(loop.MIN_INTERVAL_LOOP_TIME, LOOP_SECONDS)\n",
                "        loop.MIN_INTERVAL_LOOP_TIME = max(loop.MIN_INTERVAL_LOOP_TIME, LOOP_SECONDS)\n",
            ),
        ),
        ("tests/test_deployment_instance.py",),
    ),
    Mutation(
        123,
        "Italian euro amounts written with English separators on the direct path",
        "transforms/amounts.py",
        (
            (
                '            return f"{sign}{whole:,}".replace(",", ".") + f",{rest:02d}\\u00a0€"\n',
                '            return f"{sign}{whole:,}" + f".{rest:02d}\\u00a0€"\n',
            ),
        ),
        ("tests/test_properties.py",),
    ),
    Mutation(
        124,
        "every body taken for a province (the metropolitan cities' clauses of L. 56/2014 never cited)",
        "transforms/plan_catalogue.py",
        (('lambda: _uts_type(self.bodies, body) == "3")', 'lambda: _uts_type(self.bodies, body) == "9")'),),
        ("tests/test_plans.py", "tests/test_plan_regions.py", "tests/test_mission_level.py"),
    ),
    Mutation(
        125,
        "the rows a stage writes never validated against their table's schema (every schema check passes)",
        "pipelines/checks.py",
        (("            cases += validate(written[table.name], table)[: CASES - len(cases)]\n", "            pass\n"),),
        ("tests/test_pipeline.py",),
    ),
    Mutation(
        126,
        "the schema failures of only the first part computed reported",
        "pipelines/body_scope.py",
        (
            (
                "    for _, computed in done:\n        for table, cases in computed.schema_failures",
                "    for _, computed in done[:1]:\n        for table, cases in computed.schema_failures",
            ),
        ),
        ("tests/test_body_scope.py",),
    ),
    Mutation(
        127,
        "the plans of the worker processes yielded in the order they finish, not by year",
        "pipelines/output_workers.py",
        (
            (
                "        yield from pool.map(_one, items)\n",
                "        yield from reversed(list(pool.map(_one, items)))\n",
            ),
        ),
        ("tests/test_plan_workers.py",),
    ),
    Mutation(
        128,
        "the workbooks of every year of the run drawn at each year (all years' tables read at once)",
        "pipelines/graph.py",
        (("stage_outputs.stage_reports(run.reader, keys,", "stage_outputs.stage_reports(run.reader, run.keys,"),),
        ("tests/test_pipeline.py",),
    ),
    Mutation(
        129,
        "every run forked at its launch, the warmed spare never handed one",
        "pipelines/launcher.py",
        (("process = self._to_spare(run.run_id) or self._fork(run.run_id)", "process = self._fork(run.run_id)"),),
        ("tests/test_launcher.py",),
    ),
    Mutation(
        130,
        "the spare's pipe left open when the launcher is disposed (an idle spare outlives the daemon)",
        "pipelines/launcher.py",
        (("            self._spare[1].close()\n", "            pass\n"),),
        ("tests/test_launcher.py",),
    ),
    Mutation(
        131,
        "the run queue looked at every second again",
        "pipelines/deployment_instance.py",
        (("DEQUEUE_SECONDS = 0.5", "DEQUEUE_SECONDS = 1"),),
        ("tests/test_deployment_instance.py",),
    ),
    Mutation(
        132,
        "the daemon's sensor round as long as the sensor's interval (a tick every other round)",
        "pipelines/deployment_instance.py",
        (("LOOP_SECONDS = 0.25", "LOOP_SECONDS = 1"),),
        ("tests/test_deployment_instance.py",),
    ),
    Mutation(
        133,
        "an upload's run computes the scenarios of every body of the year again",
        "pipelines/graph.py",
        (("run.manifest().id, run.bodies", "run.manifest().id, None"),),
        ("tests/test_pipeline.py",),
    ),
    Mutation(
        134,
        "an upload's scenarios replace the whole year's rows (the other bodies' lost)",
        "pipelines/stage_priorities.py",
        (
            (
                'replaced = keys.select("body", "year").unique() if bodies else year_keys(years)',
                "replaced = year_keys(years)",
            ),
        ),
        ("tests/test_pipeline.py",),
    ),
    Mutation(
        135,
        "the scenario files of an upload's run hold its own bodies only",
        "pipelines/stage_priorities.py",
        (("_with_kept(con, per_function, years, replaced)", "per_function"),),
        ("tests/test_pipeline.py",),
    ),
]


def _pytest(tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
    """``passed`` / ``failed`` / ``timeout``, the seconds, and pytest's last line."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # a mutant's byte code is never cached
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-W", "ignore", *tests]
    start = time.monotonic()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timeout", time.monotonic() - start, ""
    except BaseException:  # Ctrl-C: stop pytest and its children before the file is restored
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    last = next((line for line in reversed(out.splitlines()) if line.strip()), "")
    return ("passed" if proc.returncode == 0 else "failed"), time.monotonic() - start, last


def _apply(mutation: Mutation) -> str | None:
    """The mutated text of the file, or None when an original text is not found exactly once."""
    text = (ROOT / mutation.path).read_text(encoding="utf-8")
    for old, new in mutation.replacements:
        if text.count(old) != 1:
            return None
        text = text.replace(old, new)
    return text


def run(mutation: Mutation, timeout: float) -> tuple[str, float, str]:
    path = ROOT / mutation.path
    mutated = _apply(mutation)
    if mutated is None:
        return "not applicable", 0.0, "the text to mutate is not in the file exactly once: update bench/mutations.py"
    original, stat = path.read_bytes(), path.stat()
    try:
        path.write_text(mutated, encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))  # never the original's byte code
        state, seconds, last = _pytest(mutation.tests, timeout)
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the original's byte code is valid again
    return {"passed": "survived", "failed": "caught"}.get(state, state), seconds, last


def _terminate(signum, frame):
    raise KeyboardInterrupt  # SIGTERM restores the file too (the finally above)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="+", help="mutation numbers to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and their test files, run nothing")
    parser.add_argument("--no-baseline", action="store_true", help="do not run the test files unmutated first")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per pytest run (default 900)")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or m.number in args.only]
    if args.list:
        for m in chosen:
            print(
                f"{m.number:>2}. {m.rule}\n    {m.path}: {len(m.replacements)} replacement(s); tests:"
                f" {' '.join(m.tests)}"
            )
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    if not args.no_baseline:
        files = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        state, seconds, last = _pytest(files, args.timeout * 2)
        print(f"baseline (unmutated, {len(files)} files): {state} in {seconds:.0f} s - {last}", flush=True)
        if state != "passed":
            print("the test files fail without any mutation: fix them first, the figures would mean nothing")
            return 2
    results = []
    try:
        for m in chosen:
            outcome, seconds, last = run(m, args.timeout)
            results.append((m, outcome))
            print(f"{m.number:>2}. {outcome:<14} {seconds:5.0f} s  {m.rule}\n    {last}", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted: every mutated file was restored", file=sys.stderr)
        return 130
    caught = sum(1 for _, outcome in results if outcome == "caught")
    print(f"\n{caught} caught of {len(results)}: " + ", ".join(f"{m.number} {outcome}" for m, outcome in results))
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
