"""Warehouse problems told in words, in a module of their own: the command line catches them around every command
without importing the warehouse (and pandera, pandas and DuckDB with it) before it knows what to run."""

from sources.bilingual import Refused


class WarehouseError(Refused):
    """A warehouse problem told in words (Italian, English on request), never a DuckDB traceback."""


class WarehouseBusy(WarehouseError):
    pass
