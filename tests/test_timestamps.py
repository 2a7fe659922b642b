"""``silver.common.utc_timestamp`` parses API timestamps as Spark's own cast does, by a faster path for ``Z``."""
from __future__ import annotations

import random

import pytest

from cbbd_etl.silver.common import utc_timestamp

pytestmark = pytest.mark.spark

TEXTS = [
    "2024-01-13T19:32:10.000Z", "2024-01-13T19:32:10Z", "2024-01-13T23:59:59.123456Z", "2023-11-06T00:00:00Z",
    "2024-01-13Z", "2024-01-13T19Z", "2024-01-13T19:32Z", "2024-01-13", "2024-01-13T19:32:10", "2024-01-13T19:32:10+05:00", "2024-01-13T19:32:10-04:00",
    "2024-01-13T19:32:10.5+00:00", "2024-01-13T19:32:10.000z", "2024-02-30T10:00:00Z", "not a time Z", "Z", "",
    None,
]


def _mutants(n: int, seed: int = 31) -> list[str]:
    """Near-misses of API timestamps: a character deleted, replaced or inserted, a few times over."""
    rng = random.Random(seed)
    bases = ["2024-01-13T19:32:10.000Z", "2024-01-13T19:32:10Z", "2023-11-06T00:00:00.5Z", "2024-03-31T23:59:59Z"]
    alphabet = "0123456789-:T.Z+ "
    out = []
    for _ in range(n):
        text = list(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text) + 1)
            op = rng.choice(("delete", "replace", "insert"))
            if op == "delete" and i < len(text):
                del text[i]
            elif op == "replace" and i < len(text):
                text[i] = rng.choice(alphabet)
            else:
                text.insert(i, rng.choice(alphabet))
        out.append("".join(text))
    return out


def test_utc_timestamp_equals_sparks_cast_for_every_form(spark) -> None:
    from pyspark.sql import functions as F

    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"   # what the fast path relies on
    texts = TEXTS + _mutants(3000)
    df = spark.createDataFrame([(t,) for t in texts], "s STRING")
    both = df.select("s", utc_timestamp("s").alias("ours"), F.to_timestamp("s").alias("spark"))
    # compared in Spark: a mutant may be a year Python's datetime cannot hold
    assert [r.s for r in both.where(~F.col("ours").eqNullSafe(F.col("spark"))).select("s").collect()] == []
    parsed = {r["s"]: r["ours"] for r in both.where(F.col("s").isin(TEXTS[:12])).collect()}
    assert parsed["2024-01-13T19:32:10.000Z"] is not None
    assert parsed["2024-01-13T19:32:10+05:00"] != parsed["2024-01-13T19:32:10Z"]
    assert both.where(F.col("ours").isNotNull()).count() > 500    # the mutants are not all garbage
