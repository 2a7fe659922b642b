"""Analyst views: one SQL file each, deployed to Athena and runnable locally in Spark SQL.

Why SQL files: analysts read and change SQL, not Python. Each file in
``cbbd_etl/resources/views/`` is one SELECT in the Athena (Trino) dialect that
names tables logically (``gold.team_season``, ``silver.games``). Before any use
the query is checked against the declarations (``cbbd_etl.tables.all_tables()``):
every table and column must be declared. Then the logical names are rewritten
with sqlglot for the target:

* Athena: ``CREATE OR REPLACE VIEW <gold database>.<view> AS …`` with the Glue
  databases of the configuration, run through ``start_query_execution`` in a
  workgroup whose result location is enforced and encrypted (terraform/athena.tf);
* Spark SQL (laptop): transpiled Trino → Spark and registered as temporary
  views over the local Iceberg catalog, so ``cbbd-etl sql "SELECT * FROM
  player_leaders"`` answers the same questions without AWS.
"""
from __future__ import annotations

import time
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable

from ..errors import UserError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

    from ..config import Config

READ_DIALECT = "trino"          # Athena engine v3 is Trino
LAYERS: tuple[str, ...] = ("silver", "gold", "meta")
DEFAULT_WORKGROUP = "cbbd-prod-analytics"   # terraform/athena.tf: ${project}-${environment}-analytics


@lru_cache(maxsize=1)
def load_views() -> dict[str, str]:
    """View name → SQL text, from the packaged ``resources/views/*.sql``."""
    folder = resources.files("cbbd_etl").joinpath("resources", "views")
    return {p.name[:-4]: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".sql")}


def declared_schema() -> dict[str, dict[str, dict[str, str]]]:
    """Every declared table as sqlglot's nested schema {layer: {table: {column: type}}} (lineage included)."""
    from ..tables import all_tables

    out: dict[str, dict[str, dict[str, str]]] = {}
    for spec in all_tables():
        out.setdefault(spec.layer, {})[spec.short_name] = {n: "VARCHAR" for n, _ in spec.all_columns}
    return out


def _parse(sql: str, dialect: str = READ_DIALECT) -> Any:
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        return sqlglot.parse_one(sql, read=dialect)
    except ParseError as exc:
        raise UserError(f"SQL does not parse ({dialect}): {str(exc).splitlines()[0]}") from None


def referenced_tables(sql: str) -> set[str]:
    """Logical ``layer.table`` names a query reads (CTE names excluded)."""
    from sqlglot import exp

    tree = _parse(sql)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {f"{t.db}.{t.name}" if t.db else t.name for t in tree.find_all(exp.Table) if t.name not in ctes}


def check_view(sql: str) -> list[str]:
    """Problems of a view against the declarations: undeclared tables or columns (empty = fine)."""
    from sqlglot.errors import OptimizeError
    from sqlglot.optimizer.qualify import qualify

    schema = declared_schema()
    problems = [f"table {t} is not declared" for t in sorted(referenced_tables(sql))
                if t.partition(".")[0] not in schema or t.partition(".")[2] not in schema[t.partition(".")[0]]]
    if problems:
        return problems
    try:
        qualify(_parse(sql), schema=schema, dialect=READ_DIALECT, validate_qualify_columns=True,
                quote_identifiers=False)
    except OptimizeError as exc:
        problems.append(str(exc).splitlines()[0])
    return problems


def render(sql: str, table_name: Callable[[str, str], tuple[str | None, str, str]], dialect: str) -> str:
    """``sql`` with every logical table replaced by ``table_name(layer, table)`` = (catalog, db, table)."""
    from sqlglot import exp

    tree = _parse(sql)

    def swap(node: Any) -> Any:
        if isinstance(node, exp.Table) and node.db in LAYERS:
            catalog, db, name = table_name(node.db, node.name)
            new = exp.table_(name, db=db, catalog=catalog, alias=node.alias or None)
            return new
        return node

    return tree.transform(swap).sql(dialect=dialect)


# ----------------------------------------------------------------------------------------------------- Athena
def athena_statements(cfg: "Config") -> list[tuple[str, str]]:
    """(view, CREATE OR REPLACE VIEW statement) per view, for the configured Glue databases."""
    dbs = cfg.lake.namespaces
    out = []
    for name, sql in load_views().items():
        problems = check_view(sql)
        if problems:
            raise UserError(f"view {name}: {'; '.join(problems)}")
        body = render(sql, lambda layer, table: (None, dbs[layer], table), "athena")
        out.append((name, f"CREATE OR REPLACE VIEW {dbs['gold']}.{name} AS\n{body}"))
    return out


def deploy_views(cfg: "Config", client: Any = None, workgroup: str = DEFAULT_WORKGROUP,
                 timeout_seconds: float = 120.0, poll_seconds: float = 1.0) -> list[dict[str, str]]:
    """Create or replace every view in Athena; one UserError naming the view if a statement fails."""
    from ..log import event, get_logger

    if client is None:
        import boto3

        client = boto3.client("athena", region_name=cfg.aws.region)
    log = get_logger("gold.views")
    results = []
    for name, ddl in athena_statements(cfg):
        qid = client.start_query_execution(QueryString=ddl, WorkGroup=workgroup,
                                           QueryExecutionContext={"Database": cfg.lake.namespaces["gold"]},
                                           )["QueryExecutionId"]
        deadline = time.monotonic() + timeout_seconds
        while True:
            status = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            state = status["State"]
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            if time.monotonic() > deadline:
                raise UserError(f"view {name}: Athena query {qid} still {state} after {timeout_seconds:.0f}s")
            time.sleep(poll_seconds)
        if state != "SUCCEEDED":
            raise UserError(f"view {name}: Athena query {qid} {state}: {status.get('StateChangeReason', '')}")
        event(log, "view deployed", view=name, query_execution_id=qid, workgroup=workgroup)
        results.append({"view": name, "query_execution_id": qid, "state": state})
    return results


# ------------------------------------------------------------------------------------------------ Spark SQL
def _spark_name(cfg: "Config") -> Callable[[str, str], tuple[str | None, str, str]]:
    return lambda layer, table: (cfg.lake.catalog_name, cfg.lake.namespaces[layer], table)


def register_spark_views(spark: "SparkSession", cfg: "Config") -> dict[str, str]:
    """Every view as a Spark temporary view; returns view → 'ok' or why it was skipped (missing tables)."""
    from ..iceberg import table_exists

    status = {}
    for name, sql in load_views().items():
        missing = sorted(t for t in referenced_tables(sql) if not table_exists(spark, cfg.table(t)))
        if missing:
            status[name] = f"skipped: missing {', '.join(missing)}"
            continue
        spark.sql(render(sql, _spark_name(cfg), "spark")).createOrReplaceTempView(name)
        status[name] = "ok"
    return status


def run_sql(spark: "SparkSession", cfg: "Config", query: str, dialect: str = "spark") -> "DataFrame":
    """Run a query over the lake: views by name, tables by logical name (``gold.player_season``)."""
    register_spark_views(spark, cfg)
    read = "spark" if dialect == "spark" else dialect
    from sqlglot import exp

    tree = _parse(query, read)

    def swap(node: Any) -> Any:
        if isinstance(node, exp.Table) and node.db in LAYERS and not node.catalog:
            return exp.table_(node.name, db=cfg.lake.namespaces[node.db], catalog=cfg.lake.catalog_name,
                              alias=node.alias or None)
        return node

    try:
        return spark.sql(tree.transform(swap).sql(dialect="spark"))
    except Exception as exc:  # AnalysisException & co: the user's query, one clear line
        if type(exc).__name__ in ("AnalysisException", "ParseException"):
            raise UserError(f"query failed: {str(exc).splitlines()[0]}") from None
        raise


def demo_answers(spark: "SparkSession", cfg: "Config", season: int, top: int = 5) -> str:
    """A few readable answers from the views (``make demo`` ends with these)."""
    status = register_spark_views(spark, cfg)
    lines = [f"Answers from the analyst views (season {season}):"]
    if status.get("player_leaders") == "ok":
        rows = spark.sql(f"SELECT name, team, minutes_per_game, points_per_game, ts_pct, impact FROM player_leaders "
                         f"WHERE season = {int(season)} ORDER BY impact_rank LIMIT {int(top)}").collect()
        lines.append(f"  Top {len(rows)} players by box impact (points per 100 possessions above average):")
        lines += [f"    {r['name']:<24} {r['team']:<22} {r['minutes_per_game']:5.1f} min {r['points_per_game']:5.1f} "
                  f"pts  TS {r['ts_pct'] or 0:.3f}  impact {r['impact']:+.1f}" for r in rows]
    else:
        lines.append(f"  player leaders: {status.get('player_leaders')}")
    if status.get("team_ats_records") == "ok":
        rows = spark.sql(f"SELECT team, ats_wins, ats_losses, ats_pushes FROM team_ats_records "
                         f"WHERE season = {int(season)} ORDER BY ats_wins - ats_losses DESC, team "
                         f"LIMIT {int(top)}").collect()
        lines.append("  Best records against the consensus closing spread (W-L-P):")
        lines += [f"    {r['team']:<24} {r['ats_wins']}-{r['ats_losses']}-{r['ats_pushes']}" for r in rows]
    else:
        lines.append(f"  ATS records: {status.get('team_ats_records')}")
    if status.get("data_freshness") == "ok":
        r = spark.sql("SELECT MAX(latest_game_date) AS d, MAX(latest_ingested_at) AS t FROM data_freshness").first()
        lines.append(f"  Freshest data: games through {r['d']}, last ingested {r['t']}")
    else:
        lines.append(f"  data freshness: {status.get('data_freshness')}")
    return "\n".join(lines)
