"""One table of the warehouse as ``warehouse.tables`` declares it, and what comes from the declaration: its DDL, its
strict pandera schema, and the check that a frame fits it before anything is written.

A column is a field (``warehouse.fields``: its type and the checks on its values, declared once for every table that
holds it) plus what the table says of it: whether it may be empty. Key columns are never empty and unique together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandera.polars as pa
import polars as pl

from warehouse.errors import TableMismatch

BODY_YEAR = ("body", "year")  # how an asset's partitions select a table's rows: by body and year,
YEARLY = ("year",)  # by year (the assets across bodies),
WHOLE_TABLE = ()  # or not at all (the check reads the whole table)


@dataclass(frozen=True)
class Field:
    """What a column holds wherever it appears: its type and the checks on its values."""

    dtype: pl.DataType
    checks: tuple[pa.Check, ...] = ()

    def checked(self, *checks: pa.Check) -> Field:
        """The same field with more checks (a table that knows more of its values)."""
        return Field(self.dtype, self.checks + checks)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    nullable: bool = True
    checks: tuple[pa.Check, ...] = ()
    default: str | None = None  # SQL: what rows already there get when the column reaches an older warehouse

    @property
    def sql_type(self) -> str:
        return sql_type(self.dtype)

    def sql(self, enforced: bool) -> str:
        """The column in ``CREATE TABLE`` (``enforced``: DuckDB refuses an empty value too)."""
        default = f" DEFAULT {self.default}" if self.default is not None else ""
        return f'"{self.name}" {self.sql_type}{" NOT NULL" if enforced and not self.nullable else ""}{default}'


_SQL_TYPES = {
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Int8: "TINYINT",
    pl.Int16: "SMALLINT",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.UInt8: "UTINYINT",
    pl.UInt16: "USMALLINT",
    pl.UInt32: "UINTEGER",
    pl.UInt64: "UBIGINT",
    pl.Float32: "FLOAT",
    pl.Float64: "DOUBLE",
    pl.Date: "DATE",
}


def sql_type(dtype: pl.DataType) -> str:
    """DuckDB's name of a polars type (the one DuckDB gives back as the same polars type)."""
    if isinstance(dtype, pl.List):
        return f"{sql_type(dtype.inner)}[]"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    return _SQL_TYPES[dtype.base_type()]


@dataclass(frozen=True, eq=False)
class Table:
    """A table declared once: columns, key, how an asset's partitions select its rows, blocking or not, what it holds.

    ``partitions``: the columns an asset's partition keys select rows by (``("body", "year")``, ``("year",)``, or ``()``
    for the whole table); ``blocking``: a failed check stops the stages after it; ``enforced``: DuckDB itself refuses an
    empty required value or a repeated key (tables written in SQL by the loaders; the others are checked after each
    write by their asset check); ``model``: the pandera model ``sources`` declares the table with (budget and revenue
    lines), whose schema is the table's."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    partitions: tuple[str, ...] = BODY_YEAR
    blocking: bool = True
    enforced: bool = False
    model: type[pa.DataFrameModel] | None = None

    def __post_init__(self):
        names = [c.name for c in self.columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        strangers = [n for n in (*self.primary_key, *self.partitions) if n not in names]
        if repeated or strangers:
            raise ValueError(
                f"core.{self.name}: columns declared twice {repeated}, key columns not declared {strangers}"
            )

    @property
    def qualified(self) -> str:
        return f"core.{self.name}"

    @cached_property
    def dtypes(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` with every column (a warehouse that has the table is not touched)."""
        lines = [c.sql(self.enforced) for c in self.columns]
        if self.enforced and self.primary_key:
            lines.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        body = ",\n    ".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {self.qualified} (\n    {body}\n);"

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        """Strict: every column declared, none more; the key unique and never empty."""
        if self.model is not None:
            return self.model.to_schema()
        return pa.DataFrameSchema(
            {c.name: pa.Column(c.dtype, nullable=c.nullable, checks=list(c.checks)) for c in self.columns},
            name=self.name,
            unique=list(self.primary_key) or None,
            strict=True,
            coerce=False,
        )

    def empty(self, columns: list[str] | None = None) -> pl.DataFrame:
        """No rows, the declared columns and types (``columns``: only those)."""
        return pl.DataFrame(schema={c: self.dtypes[c] for c in columns or self.column_names})

    def mismatch(self, schema: dict[str, pl.DataType]) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
        """Missing columns, undeclared columns, and (column, type, declared type) for the columns of another type; an
        all-empty column (polars' ``Null``) fits any type."""
        missing = [c for c in self.dtypes if c not in schema]
        unexpected = [c for c in schema if c not in self.dtypes]
        wrong = [
            (c, str(schema[c]), str(t))
            for c, t in self.dtypes.items()
            if c in schema and schema[c] != t and schema[c] != pl.Null
        ]
        return missing, unexpected, wrong

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with the declared columns in their order; one that does not fit is refused, naming the columns."""
        missing, unexpected, wrong = self.mismatch(dict(frame.schema))
        if wrong and frame.height == 0:  # no rows: nothing to lose in the cast
            wrong = []
        if missing or unexpected or wrong:
            raise TableMismatch(self.name, missing, unexpected, wrong)
        return frame.select(pl.col(c) if frame.schema[c] == t else pl.col(c).cast(t) for c, t in self.dtypes.items())


def names(*parts: Table | tuple[str, ...] | str) -> tuple[str, ...]:
    """Column names, in order, from tables (all their columns), tuples of names and strings of names between spaces."""
    out: list[str] = []
    for part in parts:
        out += part.column_names if isinstance(part, Table) else part.split() if isinstance(part, str) else part
    return tuple(out)


def declare(
    name: str,
    description: str,
    columns: tuple[str, ...],
    fields: dict[str, Field],
    *,
    key: tuple[str, ...] = (),
    required: str = "",
    partitions: tuple[str, ...] = BODY_YEAR,
    blocking: bool = True,
    enforced: bool = False,
    own: dict[str, Field] | None = None,
    defaults: dict[str, str] | None = None,
) -> Table:
    """A table from its column names: each column is the field of that name (``own``: what the name means in this
    table only), never empty when it is in ``key`` or ``required`` (names separated by spaces)."""
    own, defaults, required_names = own or {}, defaults or {}, set(key) | set(required.split())
    unknown = [c for c in columns if c not in own and c not in fields]
    if unknown:
        raise ValueError(f"core.{name}: columns without a field in warehouse.fields: {unknown}")
    return Table(
        name,
        description,
        tuple(
            Column(
                c,
                (own.get(c) or fields[c]).dtype,
                c not in required_names,
                (own.get(c) or fields[c]).checks,
                defaults.get(c),
            )
            for c in columns
        ),
        key,
        partitions,
        blocking,
        enforced,
    )


def from_model(
    name: str, description: str, model: type[pa.DataFrameModel], partitions: tuple[str, ...] = BODY_YEAR
) -> Table:
    """A table ``sources.model`` declares (its pandera model): the columns, their types and checks are the model's."""
    schema = model.to_schema()
    columns = tuple(Column(n, c.dtype.type, c.nullable, tuple(c.checks)) for n, c in schema.columns.items())
    return Table(name, description, columns, partitions=partitions, model=model)
