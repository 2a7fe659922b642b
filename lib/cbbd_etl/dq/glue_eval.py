"""AWS Glue Data Quality as the evaluator of the DQDL rules, where ``awsgluedq`` exists (Glue jobs).

On Glue, each table's DQDL ruleset (:mod:`cbbd_etl.dq.dqdl`) is evaluated by
``awsgluedq.transforms.EvaluateDataQuality``, so results appear on the Glue
console's Data quality tab and as CloudWatch metrics. Glue decides pass/fail of
those rules; the Spark SQL evaluator still supplies the failing count and
sample keys of a failed rule (Glue reports ratios, not keys) and evaluates the
``local`` rules. Off Glue the module is absent and the job uses Spark SQL alone.
"""
from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..log import event, get_logger
from ..specs.dq_rules import Rule
from .dqdl import dqdl_rules, reference_alias

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

log = get_logger("dq.glue")


def glue_dq_available() -> bool:
    """True inside a Glue job (the ``awsgluedq`` package ships with the Glue runtime only)."""
    try:
        return importlib.util.find_spec("awsgluedq") is not None
    except (ImportError, ValueError):
        return False


def outcomes_by_rule(rules: Iterable[Rule], outcome_rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Map EvaluateDataQuality's rows (``Rule`` = the DQDL text, ``Outcome``, ``FailureReason``) to rule ids.

    Glue echoes each rule's DQDL text in ``Rule``; whitespace is normalised on both sides. A rule Glue did not
    report (which should not happen) is absent from the result, so the caller falls back to Spark SQL for it.
    """
    by_text = {" ".join(text.split()): rule for rule, text in dqdl_rules(rules)}
    out: dict[str, dict[str, Any]] = {}
    for row in outcome_rows:
        rule = by_text.get(" ".join(str(row.get("Rule", "")).split()))
        if rule is None:
            continue
        outcome = str(row.get("Outcome", "")).lower()
        out[rule.id] = {"passed": outcome == "passed", "reason": row.get("FailureReason") or "",
                        "metrics": dict(row.get("EvaluatedMetrics") or {})}
    return out


def evaluate_table_on_glue(spark: "SparkSession", table: str, rules: list[Rule], frame: "DataFrame",
                           references: Mapping[str, "DataFrame"], ruleset: str) -> dict[str, dict[str, Any]]:
    """Run one table's ruleset through EvaluateDataQuality; returns :func:`outcomes_by_rule`'s mapping."""
    from awsglue.context import GlueContext  # type: ignore[import-not-found]
    from awsglue.dynamicframe import DynamicFrame  # type: ignore[import-not-found]
    from awsgluedq.transforms import EvaluateDataQuality  # type: ignore[import-not-found]

    glue = GlueContext(spark.sparkContext)
    primary = DynamicFrame.fromDF(frame, glue, table.replace(".", "_"))
    extra = {reference_alias(name): DynamicFrame.fromDF(df, glue, name.replace(".", "_"))
             for name, df in references.items()}
    options = {"dataQualityEvaluationContext": table.replace(".", "_"),
               "enableDataQualityCloudWatchMetrics": True, "enableDataQualityResultsPublishing": True}
    if extra:
        outcomes = EvaluateDataQuality.apply(frame=primary, ruleset=ruleset, publishing_options=options,
                                             additional_data_sources=extra)
    else:
        outcomes = EvaluateDataQuality.apply(frame=primary, ruleset=ruleset, publishing_options=options)
    rows = [r.asDict() for r in outcomes.toDF().collect()]
    event(log, "glue data quality evaluated", table=table, rules=len(rows))
    return outcomes_by_rule(rules, rows)
