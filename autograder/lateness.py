"""Due dates and the late penalty: how many points a late submission keeps.

The term's due dates are a small file, TOML (``instructor/term.toml``)::

    [policy]              # for every lesson, unless a lesson says otherwise
    grace_minutes = 15    # this late still counts as on time
    percent_per_day = 10  # off the score, per started day after the due time
    max_percent = 50      # never more than this ...
    zero_after_days = 7   # ... until this many days after the due time: then 0 (leave out: no hard deadline)

    [lessons.01_derivatives]
    due = 2027-01-20T23:59:00+01:00
    percent_per_day = 20  # any policy key, for this lesson only

or CSV with the columns ``lesson, due`` and any of the policy keys. A due
time without a UTC offset is read as UTC; so are the timestamps of
submissions that carry none.

The arithmetic (:func:`penalty`): a submission ``late`` after the due time
loses nothing while ``late <= grace``; otherwise it is ``ceil(late / 1 day)``
days late (the grace forgives, it does not move the clock) and loses
``min(max_percent, percent_per_day * days)`` percent of its score, or all of
it past the hard deadline. The raw score is always kept beside the result.
"""
from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

DAY = timedelta(days=1)


class TermError(ValueError):
    """The due-date file cannot be read (a lesson without a due time, a negative percentage, ...)."""


@dataclass(frozen=True)
class Policy:
    """How lateness costs points; the defaults take nothing off."""

    grace_minutes: float = 0.0
    percent_per_day: float = 0.0
    max_percent: float = 100.0
    #: days after the due time past which a submission scores 0 (``None``: never)
    zero_after_days: float | None = None

    def __post_init__(self) -> None:
        for name in ("grace_minutes", "percent_per_day", "max_percent"):
            if not getattr(self, name) >= 0:
                raise TermError(f"{name} must be a number >= 0, not {getattr(self, name)!r}")
        if self.max_percent > 100:
            raise TermError(f"max_percent is at most 100, not {self.max_percent!r}")
        if self.zero_after_days is not None and not self.zero_after_days >= 0:
            raise TermError(f"zero_after_days must be >= 0, not {self.zero_after_days!r}")


@dataclass(frozen=True)
class Late:
    """What lateness cost one submission."""

    #: time after the due time (negative: early; ``None``: the submission's time is unknown)
    late_by: timedelta | None
    days: int
    percent: float

    def describe(self) -> str:
        """``on time``, ``2 days late (-20%)``, ``late by 3 h, within the grace period``, ..."""
        if self.late_by is None:
            return "submission time unknown: no penalty"
        if self.late_by <= timedelta(0):
            return "on time"
        if self.days == 0:
            return f"late by {_duration(self.late_by)}, within the grace period"
        return f"{self.days} day{'s' if self.days != 1 else ''} late (-{self.percent:g}%)"


def _duration(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def penalty(late_by: timedelta | None, policy: Policy) -> Late:
    """What a submission ``late_by`` after its due time loses under ``policy`` (see the module's docstring)."""
    if late_by is None or late_by <= timedelta(minutes=policy.grace_minutes):
        return Late(late_by, 0, 0.0)
    days = math.ceil(late_by / DAY)
    if policy.zero_after_days is not None and late_by > timedelta(days=policy.zero_after_days):
        return Late(late_by, days, 100.0)
    return Late(late_by, days, min(policy.max_percent, policy.percent_per_day * days))


def apply(score: float, late: Late) -> float:
    """``score`` after the penalty: never below 0, never above ``score``."""
    if late.percent == 0:
        return score  # exactly: a float round trip through a percentage could add a last-digit crumb
    return min(score, max(0.0, score * (100.0 - late.percent) / 100.0))


def as_utc(value: datetime | date | str) -> datetime:
    """A due time or timestamp as an aware UTC datetime (no offset given: UTC; a bare date: its end, 23:59:59)."""
    if isinstance(value, str):
        from nbgrader.utils import parse_utc  # nbgrader's own reading of timestamp.txt

        value = parse_utc(value.strip())
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, 23, 59, 59)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@dataclass
class Term:
    """The lessons' due times and policies."""

    due: dict[str, datetime] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)

    def late(self, lesson: str, submitted: datetime | None) -> Late:
        """The lateness of a ``lesson`` submitted at ``submitted`` (a lesson without a due time is never late)."""
        if lesson not in self.due:
            return Late(None if submitted is None else timedelta(0), 0, 0.0)
        late_by = None if submitted is None else as_utc(submitted) - self.due[lesson]
        return penalty(late_by, self.policies.get(lesson, Policy()))

    @classmethod
    def load(cls, path: Path) -> Term:
        """Read ``term.toml`` or a CSV (see the module's docstring); :class:`TermError` says what is wrong."""
        try:
            if path.suffix.lower() == ".csv":
                with open(path, newline="", encoding="utf-8-sig") as fh:
                    rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k}
                            for row in csv.DictReader(fh)]
                default, lessons = {}, {r.get("lesson", ""): {k: v for k, v in r.items() if k != "lesson" and v}
                                        for r in rows}
            else:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                default, lessons = data.get("policy", {}), data.get("lessons", {})
        except (OSError, UnicodeDecodeError, csv.Error, tomllib.TOMLDecodeError) as exc:
            raise TermError(f"cannot read the due dates {path}: {exc}") from exc
        if not isinstance(default, dict) or not isinstance(lessons, dict):
            raise TermError(f"{path}: expected a [policy] table and [lessons.<lesson>] tables")
        term = cls()
        base = _policy(Policy(), default, path, "[policy]")
        for lesson, entry in lessons.items():
            if not lesson or not isinstance(entry, dict) or "due" not in entry:
                raise TermError(f"{path}: lesson {lesson!r} has no due time")
            try:
                term.due[lesson] = as_utc(entry["due"])
            except (ValueError, OverflowError, TypeError) as exc:
                raise TermError(f"{path}: lesson {lesson!r}: cannot read the due time {entry['due']!r}: {exc}"
                                ) from exc
            term.policies[lesson] = _policy(base, {k: v for k, v in entry.items() if k != "due"}, path, lesson)
        return term


def _policy(base: Policy, entry: dict, path: Path, where: str) -> Policy:
    known = {f.name for f in fields(Policy)}
    unknown = set(entry) - known
    if unknown:
        raise TermError(f"{path}: {where}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    try:
        return replace(base, **{k: float(v) for k, v in entry.items()})
    except (TypeError, ValueError) as exc:
        raise TermError(f"{path}: {where}: {exc}") from exc
