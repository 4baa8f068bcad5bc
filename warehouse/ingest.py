"""Files received and loaded at once, for the command line and the demo (``areavasta ingest``).

Each file is validated (a chunk at a time, the next chunk read in the background), received into the register
(``sources.intake.receive``: archived, held when it would make the data worse) and loaded through the same path as the
inbox sensor's receipts (``warehouse.loading.load_receipts``), in large transactions.
"""

from __future__ import annotations

import getpass
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import duckdb

from sources import archive, receipts
from sources.intake import Validation, receive
from sources.model import empty_budget_lines
from sources.receipts import Receipt, Uploader
from sources.settings import Settings
from warehouse import loading, store
from warehouse.loading import Outcome, already_loaded, in_use, load_receipts, validate_batch


def ingest_files(
    paths: list[Path],
    settings: Settings,
    *,
    body: str | None = None,
    year: int | None = None,
    phase: str | None = None,
    user: str | None = None,
    display_names: list[str] | None = None,
    on_done=None,
    workers: int = 1,
    uploader: Uploader | None = None,
    replace: bool = False,
) -> list[Outcome]:
    """Receive each file and load it at once (command line, demo). Files are independent: one bad file stops only
    itself.

    A file that would replace the one in use and make the data worse is held (``held``), not loaded, unless
    ``replace``: the operator's explicit confirmation (``areavasta ingest --replace``).

    The uploader defaults to the operator running the command, who may write every body. With
    ``workers`` > 1 files are read and validated in threads (calamine and polars release the GIL);
    receipts are registered and loaded in the order given, so the order of receipt is the order of the
    arguments and the single DuckDB writer is never shared.
    """
    uploader = uploader or Uploader(user or getpass.getuser())
    names = display_names or [p.name for p in paths]
    with store.connect(settings.warehouse_path) as con:
        loaded = in_use(con)

    def check(chunk: range) -> list[Validation]:
        """Validate a chunk of files as one batch (a file in use is read too: which bodies it brings depends on the
        uploader)."""
        shas = {i: archive.sha256_of(paths[i]) for i in chunk}
        return validate_batch(
            settings,
            workers,
            [(paths[i], names[i], shas[i], dict(body=body, year=year, phase=phase, uploader=uploader)) for i in chunk],
        )

    outcomes: dict[int, Outcome] = {}
    seen: set[str] = set()
    taken: list[tuple[int, Receipt]] = []  # received, waiting for a full warehouse transaction
    validated: dict[int, Validation] = {}

    def load_taken() -> None:
        if not taken:
            return
        if not kept_open:  # opened at the first load and kept: one checkpoint at the end, not one per transaction
            kept_open.append(
                stack.enter_context(store.connect(settings.warehouse_path, memory_limit=loading.LOAD_MEMORY))
            )
        results = load_receipts(
            settings, [r for _, r in taken], validated=validated, on_done=on_done, workers=1, con=kept_open[0]
        )
        for (index, _), outcome in zip(taken, results):
            outcomes[index] = outcome
        taken.clear()
        validated.clear()

    chunks = [
        range(start, min(start + loading.CHUNK_FILES, len(paths)))
        for start in range(0, len(paths), loading.CHUNK_FILES)
    ]
    kept_open: list[duckdb.DuckDBPyConnection] = []
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=1, thread_name_prefix="validate") as pool:
        ahead = pool.submit(check, chunks[0]) if chunks else None
        for number, chunk in enumerate(chunks):  # a chunk at a time: memory stays flat however many files
            checked = ahead.result()
            # the next chunk is read and validated in the background while this one is received and loaded here
            ahead = pool.submit(check, chunks[number + 1]) if number + 1 < len(chunks) else None
            for index, validation in zip(chunk, checked):
                parts = validation.lines.select("body", "year", "phase").unique().rows() if validation.ok else []
                if validation.sha256 in seen or already_loaded(loaded, validation.sha256, parts, validation.table):
                    outcomes[index] = Outcome(
                        Validation(names[index], validation.sha256, None, None, empty_budget_lines()), "unchanged"
                    )
                elif not validation.ok:
                    outcomes[index] = Outcome(validation, "rejected")
                else:
                    _, receipt = receive(paths[index], settings, uploader, validation=validation, replace=replace)
                    seen.add(validation.sha256)
                    if receipt.status == receipts.HELD:  # would make the data worse: archived, registered, never loaded
                        outcomes[index] = Outcome(
                            validation,
                            "held",
                            [tuple(p) for p in receipt.partitions],
                            Path(receipt.archive_path),
                            receipt=receipt,
                        )
                    else:
                        taken.append((index, receipt))
                        validated[receipt.seq] = validation
                        continue
                if on_done:
                    on_done(outcomes[index])
            if sum(v.lines.height for v in validated.values()) >= loading.BATCH_ROWS:
                load_taken()  # a transaction large enough for DuckDB to write whole row groups
        load_taken()
    return [outcomes[i] for i in range(len(paths))]
