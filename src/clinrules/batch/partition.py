"""One partition of records -> result rows with fixed columns: the engine-free core of a batch.

Design decision: a record that cannot be evaluated (not JSON, not an
object, no id, or data the model refuses) becomes an error row carrying
each problem as `path: reason`; it never stops the partition. Only
`PatientDataError` (and the record's own shape) is such a row: anything
else is a failure of the batch itself and stops it, because a row could
then not be trusted. Every row of one batch carries the same `as_of`, given
once (a worker's clock is never read), so that a rerun gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clinrules.base.errors import ArgumentError, PatientDataError
from clinrules.batch.shipped import BatchError, ShippedRuleset, compiled

if TYPE_CHECKING:
    from clinrules.decision.result import Decision

VERDICT_PREFIX = "verdict_"
LIST_COLUMNS = frozenset({"missing"})
"""The columns that hold a list of strings; every other column holds a string or null."""

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """What every record of a batch shares.

    Attributes:
        as_of: the evaluation time of every record, ISO 8601 with a UTC
            offset (`2026-11-21T08:00:00Z`): required, so that a rerun of
            the same night gives the same output.
        id_field: the dotted path of each record's id (`id`, `meta.mrn`);
            it is taken out of the record before the ruleset sees it.
        exercises: the exercises to report (default: all of the ruleset's).
        decision: add the column `decision`, the decision's JSON.
        recheck: work out `recheck_at` (False saves time and leaves it null).
    """

    as_of: str
    id_field: str = "id"
    exercises: tuple[str, ...] | None = None
    decision: bool = False
    recheck: bool = True


def checked_options(shipped: ShippedRuleset, options: BatchOptions) -> BatchOptions:
    """`options` with `as_of` in the canonical UTC form, checked on the driver before any work is sent.

    Raises:
        ArgumentError: an empty `id_field` or an empty segment of it.
        ExerciseError: an exercise the ruleset does not know.
        PatientDataError: `as_of` is not a time with a UTC offset.
    """
    if not options.id_field or "" in options.id_field.split("."):
        raise ArgumentError(f"id_field must be a dotted path such as 'id', not {options.id_field!r}")
    when = _moment(options.as_of)
    ruleset = compiled(shipped)
    list(ruleset.evaluate_many([], options.exercises, as_of=when))  # refuses unknown exercises now
    return BatchOptions(
        as_of=utc_text(when),
        id_field=options.id_field,
        exercises=options.exercises,
        decision=options.decision,
        recheck=options.recheck,
    )


def columns(shipped: ShippedRuleset, options: BatchOptions) -> list[str]:
    """The result columns, in order: the same for every partition of a batch."""
    wanted = options.exercises if options.exercises is not None else compiled(shipped).exercises
    names = ["id", "triage", "care", "recheck_at", *(VERDICT_PREFIX + e for e in wanted), "missing", "error"]
    names += ["ruleset_id", "ruleset_version", "ruleset_sha256", "as_of"]
    return [*names, "decision"] if options.decision else names


def evaluate_partition(
    records: Iterable[object], shipped: ShippedRuleset, options: BatchOptions
) -> list[Row]:
    """One result row per record, in the records' order.

    Args:
        records: each a JSON object as a dict, or as text or bytes (a JSON line).
        shipped: the ruleset (`ship`), compiled here once per process.
        options: what every record shares.

    Raises:
        BatchError: this process compiled another ruleset than the one shipped.
    """
    ruleset = compiled(shipped)
    when = _moment(options.as_of)
    wanted = options.exercises if options.exercises is not None else ruleset.exercises
    stamp = {
        "ruleset_id": ruleset.id,
        "ruleset_version": ruleset.version,
        "ruleset_sha256": ruleset.sha256,
        "as_of": utc_text(when),
    }
    path = options.id_field.split(".")
    rows: list[Row] = []
    for record in records:
        identity, state, problem = _split(record, path)
        if problem is not None:
            rows.append(_error_row(identity, [problem], wanted, stamp, options))
            continue
        try:
            decision = ruleset.evaluate(state, options.exercises, as_of=when, recheck=options.recheck)
        except PatientDataError as error:
            rows.append(_error_row(identity, list(error.problems), wanted, stamp, options))
            continue
        rows.append(_row(identity, decision, wanted, stamp, options))
    return rows


def error_text(problems: Sequence[tuple[str, str]]) -> str:
    """Problems as one text: `path: reason`, joined by `; ` (a reason alone when it has no path)."""
    return "; ".join(f"{path}: {reason}" if path else reason for path, reason in problems)


def utc_text(moment: dt.datetime) -> str:
    """A time in UTC as the decision's JSON writes it: `2026-11-21T08:00:00Z`."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def _moment(as_of: object) -> dt.datetime:
    if not isinstance(as_of, str):
        raise ArgumentError(f"as_of must be an ISO 8601 time (str), not {type(as_of).__name__}")
    try:
        moment = dt.datetime.fromisoformat(as_of)
    except ValueError:
        raise PatientDataError([("as_of", f"not an ISO 8601 time: {as_of!r}")]) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PatientDataError([("as_of", f"needs a UTC offset (such as Z or +01:00): {as_of!r}")])
    return moment


def _split(record: object, path: list[str]) -> tuple[str | None, object, tuple[str, str] | None]:
    """(the record's id, the record without it, the problem that makes it an error row or None)."""
    if isinstance(record, bytes | bytearray):
        try:
            record = bytes(record).decode("utf-8")
        except UnicodeDecodeError as error:
            return None, None, ("", f"the record is not UTF-8 text: {error.reason} at byte {error.start}")
    if isinstance(record, str):
        try:
            record = json.loads(record)
        except json.JSONDecodeError as error:
            return None, None, ("", f"the record is not JSON: {error.msg} at column {error.colno}")
        except RecursionError:
            return None, None, ("", "the record is not JSON a patient can be: nested too deeply")
    if not isinstance(record, Mapping):
        return None, None, ("", f"a record must be a JSON object, not {_kind(record)}")
    where = ".".join(path)
    value = _at(record, path)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        shown = "missing" if value is None else f"{_kind(value)}, not a text or a whole number"
        return None, None, (where, f"the record's id is {shown} (the id field is '{where}')")
    identity = str(value)
    if not identity.isprintable() or not _encodable(identity):
        return None, None, (where, "the record's id holds a control character or is not Unicode text")
    return identity, _without(record, path), None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a JSON escape such as \udc80
        return False
    return True


def _at(record: Mapping[str, Any], path: list[str]) -> object:
    value: object = record
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _without(record: Mapping[str, Any], path: list[str]) -> dict[str, Any]:
    """A copy of `record` without the id, and without an envelope the id was alone in."""
    copy = dict(record)
    head, *rest = path
    if rest:
        inner = _without(record[head], rest)
        if inner:
            copy[head] = inner
        else:
            del copy[head]
    else:
        del copy[head]
    return copy


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "a text", list: "a list"}.get(
        type(value), "an object" if isinstance(value, Mapping) else type(value).__name__
    )


def _row(
    identity: str | None, decision: Decision, wanted: Sequence[str], stamp: Row, options: BatchOptions
) -> Row:
    row: Row = {
        "id": identity,
        "triage": decision.triage.value,
        "care": decision.care.value if decision.care is not None else None,
        "recheck_at": utc_text(decision.recheck_at) if decision.recheck_at is not None else None,
    }
    for exercise in wanted:
        row[VERDICT_PREFIX + exercise] = decision.exercises[exercise].verdict.value
    row["missing"] = list(decision.missing)
    row["error"] = None
    row.update(stamp)
    if options.decision:
        row["decision"] = decision.model_dump_json()
    return row


def _error_row(
    identity: str | None,
    problems: Sequence[tuple[str, str]],
    wanted: Sequence[str],
    stamp: Row,
    options: BatchOptions,
) -> Row:
    row: Row = {"id": identity, "triage": None, "care": None, "recheck_at": None}
    for exercise in wanted:
        row[VERDICT_PREFIX + exercise] = None
    row["missing"] = None
    row["error"] = error_text(problems) if problems else "the record could not be evaluated"
    row.update(stamp)
    if options.decision:
        row["decision"] = None
    return row


__all__ = ["BatchError", "BatchOptions", "Row", "columns", "error_text", "evaluate_partition", "utc_text"]
