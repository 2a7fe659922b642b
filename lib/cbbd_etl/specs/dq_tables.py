"""The table data-quality results are written to (``meta.dq_results``): one row per rule per run.

Declared apart from the rules (:mod:`cbbd_etl.specs.dq_rules`) so ``cbbd_etl.tables`` can list it
without importing the rule catalog (which itself reads ``all_tables()``). Pure: no Spark, no I/O.
"""
from __future__ import annotations

from ..table_spec import TableSpec, cols

META_DQ_RESULTS = TableSpec(
    name="meta.dq_results",
    comment="Data-quality results: one row per rule per run that evaluated anything (status, failing count, "
            "sample failing keys); data_version fingerprints the rule's version: its definition, the season, "
            "the snapshots of the tables it reads and, for a rule that reads it, the as-of date.",
    keys=("run_id", "rule_id"),
    partition_by=("table_name",),
    lineage=False,
    columns=cols("""
      run_id STRING NOT NULL, rule_id STRING NOT NULL, table_name STRING NOT NULL, rule STRING NOT NULL,
      kind STRING, severity STRING NOT NULL, engine STRING, evaluator STRING, status STRING NOT NULL,
      passed BOOLEAN, failing_count BIGINT, sample_failing_keys ARRAY<STRING>, message STRING, dqdl STRING,
      season INT, as_of DATE, evaluated_at TIMESTAMP, data_version STRING
    """),
)

TABLES: tuple[TableSpec, ...] = (META_DQ_RESULTS,)
