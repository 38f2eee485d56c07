"""Post-loan early warning: rules and weights as data, a pure evaluation (issue 9 item 6).

Guidance art. 11 asks banks to use information from co-investing external investors, to watch
growth and follow-on financing, and to judge going concern as a whole. `evaluate` turns one
borrower's signals — operating data (headcount, revenue, tax, power use, customs), IP events,
dishonesty and enforcement hits, overdue or NPL at other banks, use of funds off purpose,
co-investor news (follow-on round, down round, exit) and milestones set at approval — into a
0–100 score, a level (green / yellow / orange / red), the signals that fired with their weight,
evidence and source data, and suggested tasks with due dates.

The rules live in ``credit/data/early_warning.yaml`` (bank policy with illustrative defaults,
versioned; each rule names its source data). Three rule kinds:

- ``drop``: (previous − current) ÷ previous of a metric against the previous quarter or the
  previous year; the highest band reached gives the weight;
- ``event``: an event of the named kind within the look-back window (counted once per kind;
  the evidence lists every occurrence); weights may be negative (good news such as a
  follow-on round lowers the score);
- ``milestone``: a milestone of the named kind not met by its due date plus grace days
  (a revenue target also counts as missed when the actual is short of target × (1 − tolerance));
- ``days_past_due``: the loan's own days past due at this bank (from servicing), by bands.

The score is the sum of the weights of the fired rules, clamped to 0–100. A rule whose input is
missing (or, for a drop, a reading marked stale) is listed in ``not_evaluated`` with the reason —
missing data never reads as "fine" silently, nor old data as news.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.money import to_decimal

__all__ = [
    "EarlyWarning",
    "FiredSignal",
    "MetricReading",
    "Milestone",
    "Rule",
    "SignalEvent",
    "SignalsInput",
    "Task",
    "Warning",
    "WarningRules",
    "evaluate",
    "load_rules",
]


# --------------------------------------------------------------------------------------------
# Rule data


@dataclass(frozen=True)
class TaskTemplate:
    task: str
    text: str
    due_in_days: int


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str  # drop | event | milestone
    source_data: str
    weight: int = 0
    metric: str = ""
    compare: str = ""  # previous_quarter | previous_year
    bands: tuple[tuple[Decimal, int], ...] = ()
    event: str = ""
    milestone: str = ""
    grace_days: int = 0
    tolerance: Decimal = Decimal(0)
    action: TaskTemplate | None = None


@dataclass(frozen=True)
class WarningRules:
    version: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None
    lookback_days: int
    levels: tuple[tuple[str, int], ...]  # (level, min score), ascending
    level_actions: Mapping[str, tuple[TaskTemplate, ...]]
    rules: tuple[Rule, ...]

    def level_of(self, score: int) -> str:
        level = self.levels[0][0]
        for name, minimum in self.levels:
            if score >= minimum:
                level = name
        return level


def _template(raw: Mapping[str, Any]) -> TaskTemplate:
    return TaskTemplate(str(raw["task"]), str(raw["text"]), int(raw["due_in_days"]))


def _rule(raw: Mapping[str, Any]) -> Rule:
    kind = str(raw["kind"])
    code = str(raw["code"])
    if kind not in ("drop", "event", "milestone", "days_past_due"):
        raise ValueError(f"early_warning.yaml: rule {code}: unknown kind {kind!r}")
    if not str(raw.get("source_data", "")).strip():
        raise ValueError(f"early_warning.yaml: rule {code}: source_data is required")
    bands = tuple(
        (to_decimal(str(b["at_least"]), "at_least"), int(b["weight"])) for b in raw.get("bands", ())
    )
    if kind == "days_past_due" and not bands:
        raise ValueError(f"early_warning.yaml: rule {code}: days_past_due needs bands")
    if kind == "drop" and (
        raw.get("compare") not in ("previous_quarter", "previous_year") or not bands
    ):
        raise ValueError(f"early_warning.yaml: rule {code}: drop needs compare and bands")
    action = raw.get("action")
    return Rule(
        code=code,
        kind=kind,
        source_data=str(raw["source_data"]),
        weight=int(raw.get("weight", 0)),
        metric=str(raw.get("metric", "")),
        compare=str(raw.get("compare", "")),
        bands=tuple(sorted(bands)),
        event=str(raw.get("event", "")),
        milestone=str(raw.get("milestone", "")),
        grace_days=int(raw.get("grace_days", 0)),
        tolerance=to_decimal(str(raw.get("tolerance", "0")), "tolerance"),
        action=_template(action) if action else None,
    )


@cache
def _versions() -> tuple[WarningRules, ...]:
    text = (resources.files("techfin.credit") / "data" / "early_warning.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    out = []
    for v in raw["versions"]:
        levels = tuple(sorted(((str(x["level"]), int(x["min"])) for x in v["levels"]), key=_k))
        out.append(
            WarningRules(
                version=str(v["version"]),
                source=" ".join(str(v["source"]).split()),
                effective_from=v["effective_from"],
                effective_to=v.get("effective_to"),
                lookback_days=int(v["lookback_days"]),
                levels=levels,
                level_actions={
                    str(level): tuple(_template(t) for t in tasks)
                    for level, tasks in (v.get("level_actions") or {}).items()
                },
                rules=tuple(_rule(r) for r in v["rules"]),
            )
        )
    return tuple(sorted(out, key=lambda r: r.effective_from))


def _k(item: tuple[str, int]) -> int:
    return item[1]


def load_rules(as_of: dt.date | None = None) -> WarningRules:
    """The early-warning rule version in force on ``as_of`` (latest when None)."""
    versions = _versions()
    if as_of is None:
        return versions[-1]
    for v in reversed(versions):
        if v.effective_from <= as_of and (v.effective_to is None or as_of < v.effective_to):
            return v
    raise ValueError(f"as_of: no early-warning rule version in force on {as_of.isoformat()}")


# --------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class MetricReading:
    """A metric for the latest period and the comparison periods (None when unknown).

    ``period`` names the latest period (e.g. ``2025Q4``) in the evidence; ``stale`` says the
    latest period is too old to stand for the borrower today — the drop rules then report the
    metric as not evaluated instead of scoring an old drop as news."""

    current: Decimal
    previous_quarter: Decimal | None = None
    previous_year: Decimal | None = None
    period: str = ""
    stale: bool = False


@dataclass(frozen=True)
class SignalEvent:
    """Something that happened: ``kind`` is an event name in the rules (``ip_lapse``,
    ``dishonest_debtor``, ``down_round`` …); ``source`` says where it came from."""

    kind: str
    on: dt.date
    detail: str = ""
    source: str = ""


@dataclass(frozen=True)
class Milestone:
    """A milestone set at approval: ``kind`` is revenue_target, next_round or product_launch.

    ``achieved_on`` is when it was met (None if not yet); a revenue target also has
    ``target`` and, once known, ``actual``.
    """

    kind: str
    due: dt.date
    description: str = ""
    achieved_on: dt.date | None = None
    target: Decimal | None = None
    actual: Decimal | None = None


@dataclass(frozen=True)
class SignalsInput:
    """Everything known about one borrower (or loan) on ``as_of``."""

    subject_id: str
    as_of: dt.date
    metrics: Mapping[str, MetricReading] = field(default_factory=dict)
    events: Sequence[SignalEvent] = ()
    milestones: Sequence[Milestone] = ()
    days_past_due: int | None = None


# --------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class FiredSignal:
    code: str
    weight: int
    evidence: str
    source_data: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "weight": self.weight,
            "evidence": self.evidence,
            "source_data": self.source_data,
        }


@dataclass(frozen=True)
class Task:
    """A suggested task: due ``due_in_days`` after ``as_of`` (``due_on``); ``because`` is the
    rule code or level that asked for it."""

    task: str
    text: str
    due_in_days: int
    due_on: dt.date
    because: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "text": self.text,
            "due_in_days": self.due_in_days,
            "due_on": self.due_on.isoformat(),
            "because": self.because,
        }


@dataclass(frozen=True)
class EarlyWarning:
    subject_id: str
    as_of: dt.date
    score: int
    level: str
    fired: tuple[FiredSignal, ...]
    tasks: tuple[Task, ...]
    not_evaluated: tuple[tuple[str, str], ...]
    rule_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "as_of": self.as_of.isoformat(),
            "score": self.score,
            "level": self.level,
            "fired": [f.to_dict() for f in self.fired],
            "tasks": [t.to_dict() for t in self.tasks],
            "not_evaluated": [{"code": c, "reason": r} for c, r in self.not_evaluated],
            "rule_version": self.rule_version,
        }


#: The name issue 9 uses; ``EarlyWarning`` avoids shadowing the built-in inside code that
#: imports names with ``from … import *``.
Warning = EarlyWarning


# --------------------------------------------------------------------------------------------
# Evaluation


def _pct(x: Decimal) -> str:
    return f"{(x * 100).quantize(Decimal('0.1'))} %"


def _dpd(rule: Rule, data: SignalsInput) -> FiredSignal | str | None:
    dpd = data.days_past_due
    if dpd is None:
        return "no days past due given"
    if dpd < 0:
        raise ValueError(f"days_past_due: must not be negative, got {dpd}")
    weight = None
    threshold = Decimal(0)
    for at_least, w in rule.bands:
        if dpd >= at_least:
            weight, threshold = w, at_least
    if weight is None:
        return None
    return FiredSignal(
        rule.code,
        weight,
        f"{dpd} days past due at this bank (band ≥ {threshold} days)",
        rule.source_data,
    )


def _drop(rule: Rule, data: SignalsInput) -> FiredSignal | str | None:
    reading = data.metrics.get(rule.metric)
    if reading is None:
        return f"no {rule.metric} reading"
    if reading.stale:
        return f"latest {rule.metric} reading ({reading.period or 'undated'}) is stale"
    previous = getattr(reading, rule.compare)
    if previous is None:
        return f"no {rule.metric} for the {rule.compare.replace('_', ' ')}"
    current = to_decimal(reading.current, rule.metric)
    previous = to_decimal(previous, rule.compare)
    if previous <= 0:
        return f"{rule.metric} for the {rule.compare.replace('_', ' ')} is not positive"
    drop = (previous - current) / previous
    weight = None
    threshold = Decimal(0)
    for at_least, w in rule.bands:
        if drop >= at_least:
            weight, threshold = w, at_least
    if weight is None:
        return None
    label = "quarter over quarter" if rule.compare == "previous_quarter" else "year over year"
    return FiredSignal(
        rule.code,
        weight,
        f"{rule.metric} fell {_pct(drop)} {label} ({previous} → {current}"
        + (f" in {reading.period}" if reading.period else "")
        + f"); band ≥ {_pct(threshold)}",
        rule.source_data,
    )


def _event(rule: Rule, data: SignalsInput, since: dt.date) -> FiredSignal | None:
    hits = sorted(
        (e for e in data.events if e.kind == rule.event and since <= e.on <= data.as_of),
        key=lambda e: (e.on, e.detail),
    )
    if not hits:
        return None
    parts = [
        f"{e.on.isoformat()}"
        + (f" {e.detail}" if e.detail else "")
        + (f" [{e.source}]" if e.source else "")
        for e in hits
    ]
    return FiredSignal(
        rule.code, rule.weight, f"{rule.event}: " + "; ".join(parts), rule.source_data
    )


def _milestone(rule: Rule, data: SignalsInput) -> FiredSignal | None:
    missed: list[str] = []
    for m in data.milestones:
        if m.kind != rule.milestone:
            continue
        deadline = m.due + dt.timedelta(days=rule.grace_days)
        name = m.description or m.kind
        if m.target is not None and m.actual is not None:
            floor = m.target * (1 - rule.tolerance)
            if m.actual < floor and data.as_of > m.due:
                missed.append(
                    f"{name}: actual {m.actual} below target {m.target} less "
                    f"{_pct(rule.tolerance)} tolerance (due {m.due.isoformat()})"
                )
            continue
        achieved = m.achieved_on is not None and m.achieved_on <= deadline
        if not achieved and data.as_of > deadline:
            late = (
                f"achieved late on {m.achieved_on.isoformat()}"
                if m.achieved_on is not None
                else "not achieved"
            )
            missed.append(
                f"{name}: due {m.due.isoformat()} (+{rule.grace_days} days grace), {late}"
            )
    if not missed:
        return None
    return FiredSignal(rule.code, rule.weight, "; ".join(missed), rule.source_data)


def evaluate(signals_input: SignalsInput, *, rules: WarningRules | None = None) -> EarlyWarning:
    """Score one borrower's signals under the rules in force on ``as_of`` (pure)."""
    data = signals_input
    r = rules or load_rules(data.as_of)
    since = data.as_of - dt.timedelta(days=r.lookback_days)
    known_events = {rule.event for rule in r.rules if rule.kind == "event"}
    unknown = sorted({e.kind for e in data.events} - known_events)
    if unknown:
        raise ValueError(f"events: unknown kind(s) {', '.join(unknown)}")
    known_milestones = {rule.milestone for rule in r.rules if rule.kind == "milestone"}
    unknown = sorted({m.kind for m in data.milestones} - known_milestones)
    if unknown:
        raise ValueError(f"milestones: unknown kind(s) {', '.join(unknown)}")

    fired: list[FiredSignal] = []
    not_evaluated: list[tuple[str, str]] = []
    for rule in r.rules:
        result: FiredSignal | str | None
        if rule.kind == "drop":
            result = _drop(rule, data)
        elif rule.kind == "days_past_due":
            result = _dpd(rule, data)
        elif rule.kind == "event":
            result = _event(rule, data, since)
        else:
            result = _milestone(rule, data)
        if isinstance(result, str):
            not_evaluated.append((rule.code, result))
        elif result is not None:
            fired.append(result)

    score = max(0, min(100, sum(f.weight for f in fired)))
    level = r.level_of(score)
    tasks: dict[str, Task] = {}

    def add(template: TaskTemplate, because: str) -> None:
        task = Task(
            template.task,
            template.text,
            template.due_in_days,
            data.as_of + dt.timedelta(days=template.due_in_days),
            because,
        )
        old = tasks.get(template.task)
        if old is None or task.due_in_days < old.due_in_days:
            tasks[template.task] = task

    by_code = {rule.code: rule for rule in r.rules}
    for f in fired:
        action = by_code[f.code].action
        if action is not None and f.weight > 0:
            add(action, f.code)
    for template in r.level_actions.get(level, ()):
        add(template, f"level {level}")
    ordered = tuple(sorted(tasks.values(), key=lambda t: (t.due_in_days, t.task)))
    return EarlyWarning(
        subject_id=data.subject_id,
        as_of=data.as_of,
        score=score,
        level=level,
        fired=tuple(fired),
        tasks=ordered,
        not_evaluated=tuple(not_evaluated),
        rule_version=r.version,
    )
