"""Which bodies a body stage computes inside its year partition, and what happens when it fails on some of them.

A run names its bodies in the tag ``areavasta/enti`` (an upload: its own body); without it, a body stage computes every
body with data in the run's years (``warehouse.analysed_keys``: uploads, or the national open data alone), after its
pending receipts are loaded. Bodies an earlier stage of the same run failed on are left out (``skipped``).

When the stage fails on the whole set, it is computed again one body at a time: the bodies it computes are stored, the
ones it fails on are recorded with their error (``core.body_runs``, the check ``every_body_computed``, the uploads
waiting for them): one body's bad data neither stops the other 106 nor hides among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from pipelines import body_status
from pipelines.stages import keys_frame, present_keys, year_keys

EVERY_BODY = "every_body_computed"
KEY = ["body", "year"]


@dataclass
class Scope:
    by_body: bool
    years: list[int]
    bodies: list[str] | None  # the run's tag; None: every body with data
    wanted: pl.DataFrame | None = None
    failures: dict[tuple[str, int], str] = field(default_factory=dict)
    skipped: set[tuple[str, int]] = field(default_factory=set)
    keys: pl.DataFrame = field(init=False)

    def __post_init__(self):
        # before the warehouse is read (a failure recorded on the uploads waiting): what the run names
        tagged = self.by_body and self.bodies
        self.keys = keys_frame((b, y) for y in self.years for b in self.bodies) if tagged else year_keys(self.years)

    def resolve(self, con, run_id: str) -> pl.DataFrame:
        """The keys to compute: (body, year) for a body stage, less those an earlier stage of the run failed on."""
        if not self.by_body:
            return self.keys
        if self.bodies:
            self.wanted = self.keys
        else:
            self.wanted = present_keys(con).filter(pl.col("year").is_in(self.years)).select(KEY)
        failed = body_status.failed_earlier(con, run_id)
        self.skipped = {k for k in self.wanted.rows() if k in failed}
        self.keys = _without(self.wanted, self.skipped)
        return self.keys

    def errors(self) -> dict[tuple[str, int], str]:
        return {**dict.fromkeys(self.skipped, ""), **self.failures}

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def failed_keys(self) -> pl.DataFrame:
        return keys_frame(self.failures)

    def done_keys(self, keys: pl.DataFrame) -> pl.DataFrame:
        return _without(keys, set(self.failures)) if self.by_body else keys


def _without(keys: pl.DataFrame, pairs: set[tuple[str, int]]) -> pl.DataFrame:
    return keys.join(keys_frame(pairs), on=KEY, how="anti") if pairs else keys


GIVE_UP = 5  # the first bodies all failing: the stage fails on any body (its code, a table), not on their data


def body_by_body(keys: pl.DataFrame, compute, scope: Scope) -> list:
    """``compute(keys of one body)`` for each body of ``keys``; the failures recorded in ``scope`` (every year of the
    body, with the error), the successes returned. Nothing is returned when the first ``GIVE_UP`` bodies all fail:
    the run then fails as a whole, as it would have without trying body by body."""
    done = []
    for index, ((body,), part) in enumerate(keys.partition_by("body", as_dict=True, maintain_order=True).items()):
        if index == GIVE_UP and not done:
            scope.failures.clear()
            return []
        try:
            done.append(compute(part))
        except Exception as error:  # noqa: BLE001 - recorded per body, reported by the check and the uploads
            message = f"{type(error).__name__}: {error}"[:500]
            scope.failures.update({(str(body), int(y)): message for y in part["year"]})
    return done


def add(metadata: dict, more: dict) -> dict:
    """``more`` summed into ``metadata`` (numbers added, lists joined, mappings merged)."""
    for name, value in more.items():
        if name not in metadata:
            metadata[name] = value
        elif isinstance(value, dict):
            metadata[name] = {**metadata[name], **value}
        else:
            metadata[name] = metadata[name] + value
    return metadata


def merged(parts: list[dict]) -> dict:
    found: dict = {}
    for part in parts:
        add(found, part)
    return found


def evaluated(check, done: list) -> tuple[bool, dict]:
    """A declared check over what the stage computed; computed body by body, it passes when it passes on each body."""
    results = [computed.checks.get(check.name) or check.evaluate(run, computed) for run, computed in done]
    if len(results) == 1:
        return results[0]
    failing = [evidence for passed, evidence in results if not passed]
    return not failing, merged([{k: v if isinstance(v, list) else [v] for k, v in e.items()} for e in failing])


def schema_failures(done: list) -> dict[str, list[dict]]:
    """Table → failure cases of the rows each computed part wrote (``pipelines.checks.add_failures``)."""
    found: dict[str, list[dict]] = {}
    for _, computed in done:
        for table, cases in computed.schema_failures.items():
            found.setdefault(table, []).extend(cases)
    return found


def every_body_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        EVERY_BODY,
        asset=asset,
        description="Every body of the run computed: a body the stage failed on, or left out because an earlier stage "
        "failed on it, is named here with the error (the other bodies are computed and stored).",
    )


def every_body_result(scope: Scope) -> dg.AssetCheckResult:
    failed = {f"{year}|{body}": error for (body, year), error in sorted(scope.failures.items())}
    skipped = sorted(f"{year}|{body}" for body, year in scope.skipped)
    return dg.AssetCheckResult(
        check_name=EVERY_BODY,
        passed=not failed and not skipped,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "non_riusciti": dg.MetadataValue.json(failed),
            "non_calcolati_per_una_fase_precedente": dg.MetadataValue.json(skipped),
        },
    )
