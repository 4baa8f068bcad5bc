"""Warehouse problems told in words, in a module of their own: the command line catches them around every command
without importing the warehouse (and pandera, polars and DuckDB with it) before it knows what to run."""

from __future__ import annotations

from pathlib import Path

from sources.bilingual import Refused


class WarehouseError(Refused):
    """A warehouse problem told in words (Italian, English on request), never a DuckDB traceback."""


class WarehouseBusy(WarehouseError):
    pass


class WarehouseDamaged(WarehouseError):
    def __init__(self, path: Path, detail: str):
        first = (detail.splitlines() or ["?"])[0][:300]
        super().__init__(
            f"Il magazzino {path} è danneggiato e non si può usare ({first}). I file ricevuti sono tutti "
            "nell'archivio: 'areavasta rebuild' ricostruisce il magazzino da lì (il file danneggiato viene conservato "
            "a parte).",
            f"The warehouse {path} is damaged and cannot be used ({first}). Every received file is in the archive: "
            "'areavasta rebuild' rebuilds the warehouse from it (the damaged file is kept aside).",
        )


class UnknownTable(WarehouseError):
    """A table the registry (``warehouse.tables``) does not declare: a bug, never a table created on the fly."""

    def __init__(self, name: str):
        super().__init__(
            f"La tabella core.{name} non è dichiarata in warehouse/tables.py: il magazzino non la legge né la scrive.",
            f"The table core.{name} is not declared in warehouse/tables.py: the warehouse neither reads nor writes it.",
        )
        self.table = name


class TableMismatch(WarehouseError):
    """A frame whose columns differ from its table's declaration (nothing was written), or a read of columns the table
    does not declare (``reading``)."""

    def __init__(
        self,
        name: str,
        missing: list[str],
        unexpected: list[str],
        wrong: list[tuple[str, str, str]],
        reading: bool = False,
    ):
        it, en = [], []
        if missing:
            it.append(f"mancano le colonne {', '.join(missing)}")
            en.append(f"missing columns {', '.join(missing)}")
        if unexpected:
            it.append(f"colonne non dichiarate {', '.join(unexpected)}")
            en.append(f"undeclared columns {', '.join(unexpected)}")
        if wrong:
            it.append("tipo sbagliato: " + ", ".join(f"{c} è {got}, dichiarata {want}" for c, got, want in wrong))
            en.append("wrong type: " + ", ".join(f"{c} is {got}, declared {want}" for c, got, want in wrong))
        if reading:
            super().__init__(
                f"Lettura di core.{name}: {'; '.join(it)} (warehouse/tables.py).",
                f"Reading core.{name}: {'; '.join(en)} (warehouse/tables.py).",
            )
        else:
            super().__init__(
                f"I dati per core.{name} non corrispondono alla tabella dichiarata ({'; '.join(it)}): non è stato "
                "scritto nulla (warehouse/tables.py).",
                f"The data for core.{name} do not match the declared table ({'; '.join(en)}): nothing was written "
                "(warehouse/tables.py).",
            )
        self.table, self.missing, self.unexpected, self.wrong = name, missing, unexpected, wrong
