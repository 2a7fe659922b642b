"""The data dictionary (``docs/data_dictionary.md``), generated from the table declarations.

Why generated: a hand-written dictionary is wrong the day after someone adds a
column. Every fact here is read from a declaration — columns, types, NOT NULL,
natural key, partitioning and write mode from :func:`cbbd_etl.tables.all_tables`,
the jobs that write and read each table from :mod:`cbbd_etl.registry`, the
data-quality rules from :mod:`cbbd_etl.specs.dq_rules` and the gold column
definitions from :mod:`cbbd_etl.gold.design_doc` — so ``tests/test_docs.py``
can fail when the committed file differs from what this module renders.

Pure: rendering imports no Spark and does no I/O; only ``write_data_dictionary``
and the CLI touch the file. Regenerate with
``cbbd-etl docs data-dictionary --write`` (or ``python -m cbbd_etl.docgen --write``).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .table_spec import LINEAGE_COLUMNS, TableSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DICTIONARY = REPO_ROOT / "docs" / "data_dictionary.md"
REGENERATE = "cbbd-etl docs data-dictionary --write"

LAYERS: tuple[tuple[str, str], ...] = (
    ("silver", "typed, deduplicated API data: one row per natural key, lineage on every row"),
    ("gold", "analysis-ready facts derived only from silver"),
    ("meta", "the lake's own bookkeeping: quarantine, drift, loads, completeness, gap-fill, data quality"),
)
LINEAGE_DOC: dict[str, str] = {
    "_ingested_at": "when the bronze response this row came from was fetched (latest wins in a MERGE)",
    "_source_file": "the bronze file the row was read from",
    "_run_id": "the run that last wrote the row",
    "_row_hash": "content hash of the data columns (lineage excluded): an unchanged row is not rewritten",
}
# Meanings of columns that recur across the silver and meta tables (the API's own names, snake_cased).
COMMON_DOC: dict[str, str] = {
    "season": "season, named by the year it ends (2024 = 2023-24: Aug 1 2023 - Jul 31 2024)",
    "season_label": "the API's season label, e.g. 20232024",
    "season_type": "regular or postseason",
    "game_id": "CBBD game id (silver.games.game_id)",
    "team_id": "CBBD team id",
    "team": "CBBD school name",
    "conference": "conference name as the API sends it",
    "conference_id": "CBBD conference id",
    "opponent_id": "the opponent's CBBD team id",
    "opponent": "the opponent's school name",
    "opponent_conference": "the opponent's conference",
    "home_team_id": "home team's CBBD id (the nominal home team at a neutral site)",
    "away_team_id": "away team's CBBD id",
    "home_team": "home school name",
    "away_team": "away school name",
    "athlete_id": "CBBD athlete id",
    "source_id": "the upstream provider's id for the entity",
    "start_date": "scheduled tip-off, UTC",
    "game_date": "the game's US/Eastern calendar date",
    "start_time_tbd": "tip-off time not yet announced",
    "neutral_site": "played at a neutral site",
    "conference_game": "both teams in the same conference",
    "game_type": "the API's game type code (e.g. STD)",
    "tournament": "postseason tournament name, if any",
    "status": "game status from the API (scheduled, in_progress, final, ...)",
    "pace": "possessions per 40 minutes",
    "net_rating": "offensive minus defensive rating (points per 100 possessions)",
    "run_id": "the run that wrote the row",
}
_STAT_PREFIXES: tuple[tuple[str, str], ...] = (("team_stats_", "the team's "), ("opponent_stats_", "the opponent's "),
                                               ("team_", "the team's "), ("opp_", "the opponent's "))

ATHENA_DATABASES: dict[str, str] = {"silver": "cbbd_silver", "gold": "cbbd_gold", "meta": "cbbd_meta"}


def _cell(text: object) -> str:
    """Markdown table cell: no pipes or newlines may break the row."""
    return " ".join(str(text).replace("|", "\\|").split())


def _definition_lookup() -> Callable[[TableSpec, str], str]:
    """Column definitions: the declared ``Column.doc``, else the gold design doc's entry, else lineage."""
    try:
        from .gold.design_doc import definition as gold_definition
    except ImportError:  # pragma: no cover - the gold design module is optional for the dictionary
        gold_definition = None

    def lookup(spec: TableSpec, column: str) -> str:
        declared = next((c.doc for c in spec.columns if c.name == column), "")
        if declared:
            return declared
        if gold_definition is not None and spec.layer == "gold":   # its common entries are gold's meanings
            found = gold_definition(spec, column)
            if found:
                return found
        if column in LINEAGE_DOC or column in COMMON_DOC:
            return LINEAGE_DOC.get(column) or COMMON_DOC[column]
        for prefix, whose in _STAT_PREFIXES:   # box-score columns: team_fg_made, opponent_stats_assists, ...
            if column.startswith(prefix) and spec.name in _BOX_TABLES:
                return whose + column[len(prefix):].replace("_", " ")
        return ""

    return lookup


_BOX_TABLES = frozenset({"silver.team_game_stats", "silver.team_season_stats", "silver.team_season_shooting",
                         "silver.team_leaderboard", "silver.team_overviews"})


def _jobs_by_table() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    from .registry import all_jobs

    writers: dict[str, list[str]] = {}
    readers: dict[str, list[str]] = {}
    for job in all_jobs():
        for table in job.outputs:
            writers.setdefault(table, []).append(job.name)
        for table in job.inputs:
            readers.setdefault(table, []).append(job.name)
    return writers, readers


def _rules_by_table(tables: Iterable[TableSpec]) -> dict[str, list[Any]]:
    try:
        from .specs.dq_rules import rules_for
    except ImportError:  # pragma: no cover - data quality is declared in its own module
        return {}
    return {t.name: list(rules_for(t)) for t in tables}


def _names(items: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in items) if items else "—"


def table_section(spec: TableSpec, writers: Sequence[str], readers: Sequence[str], rules: Sequence[Any],
                  define: Callable[[TableSpec, str], str]) -> str:
    """One table: what it is, how it is keyed, partitioned and written, who touches it, and its columns."""
    mode = "merge-on-read" if spec.merge_on_read else "copy-on-write"
    lines = [
        f"### `{spec.name}`",
        "",
        spec.comment or "(no comment declared)",
        "",
        "| | |",
        "|---|---|",
        f"| natural key (MERGE ON) | {_names(spec.keys)} |",
        f"| partitioned by | {_names(spec.partition_by)} |",
        f"| write mode | {mode}, Iceberg format-version {spec.properties()['format-version']} |",
        f"| Athena | `{ATHENA_DATABASES.get(spec.layer, spec.layer)}.{spec.short_name}` |",
        f"| written by | {_names(writers)} |",
        f"| read by | {_names(readers)} |",
    ]
    if rules:
        errors = sum(1 for r in rules if r.severity == "error")
        kinds = sorted({r.kind for r in rules})
        lines.append(f"| data-quality rules | {len(rules)} ({errors} error, {len(rules) - errors} warn): "
                     f"{', '.join(kinds)} |")
    lines += ["", "| column | type | null | definition |", "|---|---|---|---|"]
    key = set(spec.keys)
    not_null = {c.name for c in spec.columns if not c.nullable}
    for name, typ in spec.all_columns:
        flag = "key" if name in key else ("NOT NULL" if name in not_null else "")
        shown = _cell(typ).replace("`", "")   # struct field names are backquoted in Spark's DDL
        lines.append(f"| `{name}` | `{shown}` | {flag} | {_cell(define(spec, name))} |")
    return "\n".join(lines) + "\n"


def render_data_dictionary(tables: Sequence[TableSpec] | None = None) -> str:
    """The whole dictionary as markdown: deterministic (sorted by layer order, then name)."""
    if tables is None:
        from .tables import all_tables

        tables = all_tables()
    order = {layer: i for i, (layer, _) in enumerate(LAYERS)}
    ordered = sorted(tables, key=lambda t: (order.get(t.layer, len(order)), t.name))
    writers, readers = _jobs_by_table()
    rules = _rules_by_table(ordered)
    define = _definition_lookup()
    out = [
        "# Data dictionary",
        "",
        f"<!-- GENERATED by lib/cbbd_etl/docgen.py from the table declarations; do not edit. "
        f"Regenerate: {REGENERATE} -->",
        "",
        "Every table the lake declares (`cbbd_etl.tables.all_tables()`): its natural key, partitioning, write mode, "
        "the jobs that write and read it, its data-quality rules and its columns. Names are logical "
        "(`silver.games`); locally they live in the Iceberg catalog `lake` (`lake.silver.games`), on AWS in the "
        "Glue databases shown in the Athena row. `key` marks the natural key columns (never null); lineage columns "
        "(`_ingested_at`, `_source_file`, `_run_id`, `_row_hash`) are added to every table that declares lineage.",
        "",
        "| layer | tables | columns | what it holds |",
        "|---|---|---|---|",
    ]
    for layer, what in LAYERS:
        in_layer = [t for t in ordered if t.layer == layer]
        out.append(f"| {layer} | {len(in_layer)} | {sum(len(t.all_columns) for t in in_layer)} | {what} |")
    out += ["", "## Tables", ""]
    for layer, _ in LAYERS:
        in_layer = [t for t in ordered if t.layer == layer]
        if in_layer:
            out.append(f"- **{layer}**: " + ", ".join(f"[`{t.name}`](#{_anchor(t.name)})" for t in in_layer))
    out.append("")
    for layer, what in LAYERS:
        in_layer = [t for t in ordered if t.layer == layer]
        if not in_layer:
            continue
        out += [f"## {layer}", "", what[0].upper() + what[1:] + ".", ""]
        for t in in_layer:
            out.append(table_section(t, writers.get(t.name, []), readers.get(t.name, []),
                                     rules.get(t.name, []), define))
    out += ["## Lineage columns", "", "| column | type | definition |", "|---|---|---|"]
    out += [f"| `{n}` | `{typ}` | {LINEAGE_DOC[n]} |" for n, typ in LINEAGE_COLUMNS]
    return "\n".join(out).rstrip() + "\n"


def _anchor(table: str) -> str:
    """GitHub's heading anchor for ``### `silver.games` `` (backticks and dots dropped)."""
    return table.replace(".", "").lower()


def stale(path: Path = DATA_DICTIONARY) -> bool:
    """Whether the file on disk differs from what the declarations render."""
    return not path.exists() or path.read_text(encoding="utf-8") != render_data_dictionary()


def write_data_dictionary(path: Path = DATA_DICTIONARY) -> bool:
    """Write the dictionary; returns whether the file changed."""
    text = render_data_dictionary()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


# ---------------------------------------------------------------- CLI
def _cmd_data_dictionary(args: argparse.Namespace, cfg: Any = None) -> int:
    if args.write:
        changed = write_data_dictionary(Path(args.path))
        print(f"{args.path}: {'written' if changed else 'unchanged'}")
    elif args.check:
        if stale(Path(args.path)):
            print(f"{args.path} is stale; run {REGENERATE}")
            return 1
        print(f"{args.path}: up to date")
    else:
        print(render_data_dictionary(), end="")
    return 0


def register(sub: Any) -> None:
    """Add ``docs data-dictionary [--write|--check]`` to the main CLI's subparsers."""
    docs = sub.add_parser("docs", help="generated documentation")
    docs_sub = docs.add_subparsers(dest="docs_command", parser_class=type(docs))
    dd = docs_sub.add_parser("data-dictionary", help="the data dictionary from the table declarations "
                                                     "(printed; --write updates docs/data_dictionary.md)")
    mode = dd.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the file instead of printing it")
    mode.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    dd.add_argument("--path", default=str(DATA_DICTIONARY), help="default: docs/data_dictionary.md")
    dd.set_defaults(handler=_cmd_data_dictionary)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cbbd_etl.docgen", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    parser.add_argument("--path", default=str(DATA_DICTIONARY))
    return _cmd_data_dictionary(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
