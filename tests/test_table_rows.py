"""``iceberg.table_rows``: an append's rows typed as the table declares them, so Spark writes them as they come.

Spark rebuilds every row of an append whose required (NOT NULL) columns the frame may hold null, and with it
every array of structs, element by element, in an interpreted lambda. The helper declares those columns
non-null with the check Spark would add, so a null still fails the write, and changes nothing else.
"""
from __future__ import annotations

from typing import Any

import pytest
from chispa import assert_df_equality

from cbbd_etl.iceberg import ensure_table, live_snapshot, table_rows
from cbbd_etl.table_spec import Column, TableSpec, cols

pytestmark = pytest.mark.spark

# The array's type as endpoint tables declare theirs (``cols`` would upper-case its field names).
SPEC = TableSpec("silver.table_rows_probe",
                 cols("row_id BIGINT NOT NULL, season INT NOT NULL, note STRING")
                 + (Column("on_floor", "ARRAY<STRUCT<name: STRING, id: BIGINT>>"),),
                 keys=("row_id",), partition_by=("season",), lineage=False)


def _frame(spark: Any, rows: list[tuple[Any, ...]]) -> Any:
    """Rows as a load computes them: every column nullable as Spark sees it (keys are computed columns)."""
    from pyspark.sql import functions as F

    raw = spark.createDataFrame(rows, "row_id BIGINT, season INT, note STRING, "
                                      "on_floor ARRAY<STRUCT<name: STRING, id: BIGINT>>")
    return raw.select((F.col("row_id") + 0).alias("row_id"), "season", "note", "on_floor")


ROWS = [(1, 2024, "jumper", [("A. Guard", 11), ("B. Wing", None)]), (2, 2024, None, None), (3, 2023, "", [])]


def test_required_columns_become_non_nullable_and_nothing_else_changes(spark) -> None:
    frame = _frame(spark, ROWS)
    out = table_rows(frame, SPEC)

    assert {f.name: f.nullable for f in out.schema.fields} == {
        "row_id": False, "season": False, "note": True, "on_floor": True}
    assert_df_equality(out, frame, ignore_nullable=True, ignore_row_order=True)


def test_spark_appends_the_rows_as_they_come(spark, lake) -> None:
    """Spark's analyzer adds no projection of its own to the append: no null check, no per-element rebuild
    of the array of structs (``transform``), which a frame with a nullable key gets."""
    ident = ensure_table(spark, lake, SPEC)

    def analyzed_insert(df: Any) -> str:
        df.createOrReplaceTempView("table_rows_probe_src")
        try:
            return spark.sql(f"EXPLAIN EXTENDED INSERT INTO {ident} SELECT * FROM table_rows_probe_src").first()[0]
        finally:
            spark.catalog.dropTempView("table_rows_probe_src")

    plain = analyzed_insert(_frame(spark, ROWS))
    typed = analyzed_insert(table_rows(_frame(spark, ROWS), SPEC))

    assert "transform(" in plain and "assertnotnull(" in plain.lower()   # what the helper spares
    assert "transform(" not in typed


def test_the_rows_written_are_the_rows_given(spark, lake) -> None:
    ident = ensure_table(spark, lake, SPEC)

    table_rows(_frame(spark, ROWS), SPEC).writeTo(ident).append()

    assert_df_equality(spark.table(ident), _frame(spark, ROWS), ignore_nullable=True, ignore_row_order=True)


def test_a_null_in_a_required_column_still_fails_the_write_and_names_it(spark, lake) -> None:
    ident = ensure_table(spark, lake, SPEC)

    with pytest.raises(Exception, match="row_id"):
        table_rows(_frame(spark, [(None, 2024, "x", None)]), SPEC).writeTo(ident).append()

    assert live_snapshot(spark, ident) is None    # nothing committed
