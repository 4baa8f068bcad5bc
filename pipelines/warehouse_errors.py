"""Warehouse problems told in words, in a module of their own: the command line catches them around every command
without importing the warehouse (and pandera, pandas and DuckDB with it) before it knows what to run."""


class WarehouseError(Exception):
    """A warehouse problem told in words (Italian, English on request), never a DuckDB traceback."""

    def __init__(self, it: str, en: str):
        super().__init__(it)
        self.it, self.en = it, en

    def message(self, lang: str = "it") -> str:
        return self.en if lang == "en" else self.it


class WarehouseBusy(WarehouseError):
    pass
