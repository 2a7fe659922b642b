"""Results of a data-quality run: one :class:`RuleResult` per rule, the run report, and its text forms.

Why a pure module: the CLI, the job, the demo and the tests all print or assert
on the same report, and none of them should need Spark to do so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..specs.dq_rules import Rule

STATUSES = ("passed", "failed", "skipped")


@dataclass
class RuleResult:
    """The outcome of one rule: ``failing_count`` rows (or keys, for a primary key) and up to a few of their keys."""

    rule: Rule
    status: str                               # passed | failed | skipped (its table does not exist)
    failing_count: int = 0
    sample_failing_keys: list[str] = field(default_factory=list)
    message: str = ""
    evaluator: str = "spark_sql"              # spark_sql | glue_dq

    @property
    def passed(self) -> bool | None:
        return None if self.status == "skipped" else self.status == "passed"

    @property
    def blocking(self) -> bool:
        """An ``error`` rule that failed: the run is not reconciled."""
        return self.status == "failed" and self.rule.severity == "error"

    def to_row(self, run_id: str, season: int | None, as_of: dt.date, evaluated_at: dt.datetime,
               dqdl: str | None) -> dict[str, Any]:
        """The ``meta.dq_results`` row of this result."""
        r = self.rule
        return {"run_id": run_id, "rule_id": r.id, "table_name": r.table, "rule": r.name, "kind": r.kind,
                "severity": r.severity, "engine": r.engine, "evaluator": self.evaluator, "status": self.status,
                "passed": self.passed, "failing_count": self.failing_count,
                "sample_failing_keys": list(self.sample_failing_keys), "message": self.message, "dqdl": dqdl,
                "season": season, "as_of": as_of, "evaluated_at": evaluated_at}

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule.id, "table": self.rule.table, "rule": self.rule.name, "kind": self.rule.kind,
                "severity": self.rule.severity, "engine": self.rule.engine, "evaluator": self.evaluator,
                "status": self.status, "failing_count": self.failing_count,
                "sample_failing_keys": list(self.sample_failing_keys), "message": self.message}


def build_report(results: Iterable[RuleResult], run_id: str, season: int | None, as_of: dt.date,
                 evaluator: str) -> dict[str, Any]:
    """The job report: counts by status and severity; ``reconciled`` is False when an ``error`` rule failed."""
    results = list(results)
    failed = [r for r in results if r.status == "failed"]
    return {
        "run_id": run_id, "season": season, "as_of": as_of.isoformat(), "evaluator": evaluator,
        "tables": len({r.rule.table for r in results}),
        "rules": len(results),
        "passed": sum(r.status == "passed" for r in results),
        "failed": len(failed),
        "skipped": sum(r.status == "skipped" for r in results),
        "failed_errors": sum(r.rule.severity == "error" for r in failed),
        "failed_warnings": sum(r.rule.severity == "warn" for r in failed),
        "reconciled": not any(r.blocking for r in results),
        "results": [r.to_dict() for r in results],
    }


def failed_rule_ids(report: dict[str, Any]) -> set[str]:
    return {r["rule_id"] for r in report["results"] if r["status"] == "failed"}


def summary_text(report: dict[str, Any], show_failures: int = 20) -> str:
    """A few lines for a terminal or the demo: totals, then each failed rule with its sample keys."""
    verdict = "OK" if report["reconciled"] else "FAILED"
    lines = [f"data quality {verdict}: {report['rules']} rules on {report['tables']} tables "
             f"(season {report['season'] or 'all'}, as of {report['as_of']}, {report['evaluator']}): "
             f"{report['passed']} passed, {report['failed']} failed "
             f"({report['failed_errors']} error, {report['failed_warnings']} warn), {report['skipped']} skipped"]
    failed = [r for r in report["results"] if r["status"] == "failed"]
    failed.sort(key=lambda r: (r["severity"] != "error", r["rule_id"]))
    for r in failed[:show_failures]:
        keys = ", ".join(r["sample_failing_keys"][:3])
        more = f" (+{r['failing_count'] - 3} more)" if r["failing_count"] > 3 else ""
        lines.append(f"  {r['severity'].upper():5} {r['rule_id']}: {r['failing_count']} failing"
                     + (f" e.g. {keys}{more}" if keys else "") + (f" - {r['message']}" if r["message"] else ""))
    if len(failed) > show_failures:
        lines.append(f"  ... and {len(failed) - show_failures} more failed rules")
    return "\n".join(lines)


def report_rows(report: dict[str, Any], only_failed: bool = False) -> list[dict[str, Any]]:
    """Rows for :func:`cbbd_etl.textfmt.render`: one per rule."""
    return [{"table": r["table"], "rule": r["rule"], "severity": r["severity"], "engine": r["engine"],
             "status": r["status"], "failing": r["failing_count"], "sample keys": "; ".join(r["sample_failing_keys"][:2])}
            for r in report["results"] if not only_failed or r["status"] == "failed"]


__all__ = ["RuleResult", "STATUSES", "build_report", "failed_rule_ids", "report_rows", "summary_text"]
