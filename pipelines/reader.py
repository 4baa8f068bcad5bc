"""The one way a stage reads the warehouse: a connection limited to the tables its declaration names.

A stage gets a ``Reader`` where it used to get the DuckDB connection: ``warehouse.read_table(reader, …)`` and the
SQL of the helpers it calls work unchanged (a year at a time where they read a year at a time), but a statement
naming a ``core.`` table the stage does not declare (``reads``, or its own ``writes``: earlier partitions) raises
``UndeclaredRead``, and any write raises too: a stage returns what it computed, the factory stores it.
"""

from __future__ import annotations

import re

CORE_TABLE = re.compile(r"\bcore\.([a-z_][a-z0-9_]*)", re.IGNORECASE)
WRITES = re.compile(r"^\s*(insert|update|delete|create|alter|drop|copy|attach|begin|commit|set)\b", re.IGNORECASE)


class UndeclaredRead(RuntimeError):
    """A stage read a table its declaration does not name (``pipelines.graph``)."""


class Reader:
    """A DuckDB connection seen through a stage's declaration: reads of the declared tables only, no writes."""

    def __init__(self, con, stage: str, tables: set[str] | frozenset[str]):
        self._con, self.stage, self.tables = con, stage, frozenset(tables)
        self.catalogue_id = id(con)  # warehouse.store's copy of the tables' columns, read once per connection

    def execute(self, sql: str, parameters=None):
        named = {name.lower() for name in CORE_TABLE.findall(sql)} - self.tables
        if named:
            raise UndeclaredRead(
                f"stage {self.stage} reads {', '.join(f'core.{n}' for n in sorted(named))} without declaring it "
                f"(reads=… in pipelines/graph.py; declared: {', '.join(sorted(self.tables)) or 'none'})"
            )
        if WRITES.match(sql):
            raise UndeclaredRead(
                f"stage {self.stage} tried to write ({sql.split()[0]}): stages return what they compute"
            )
        return self._con.execute(sql) if parameters is None else self._con.execute(sql, parameters)

    def register(self, name: str, frame):
        return self._con.register(name, frame)

    def unregister(self, name: str):
        return self._con.unregister(name)
