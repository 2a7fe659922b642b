"""The docs stay true: generated files are current, links resolve, example SQL uses declared columns.

Why tests for prose: a data dictionary that lags the declarations, a README
link to a moved file or an Athena example naming a dropped column all fail
silently for the reader. Each check here reads the repository as it is.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from cbbd_etl import docgen
from cbbd_etl.tables import all_tables

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DOCS = sorted((REPO / "docs").glob("*.md"))
PROMPTS = sorted((REPO / "prompts").rglob("*.md"))
ATHENA_SQL = REPO / "docs" / "athena_examples.sql"
ATHENA_DATABASES = {"cbbd_silver": "silver", "cbbd_gold": "gold", "cbbd_meta": "meta"}


# ---------------------------------------------------------------- data dictionary
def test_data_dictionary_is_generated_from_the_current_declarations() -> None:
    on_disk = (REPO / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert on_disk == docgen.render_data_dictionary(), (
        f"docs/data_dictionary.md is stale: run {docgen.REGENERATE}")


def test_data_dictionary_names_every_declared_table_and_column() -> None:
    text = docgen.render_data_dictionary()
    for spec in all_tables():
        section = text.split(f"### `{spec.name}`\n", 1)
        assert len(section) == 2, f"{spec.name} has no section"
        body = section[1].split("\n### ", 1)[0]
        for name, _ in spec.all_columns:
            assert f"| `{name}` |" in body, f"{spec.name}.{name} missing"
        assert f"`{spec.keys[0]}`" in body


def test_data_dictionary_facts_for_a_known_table() -> None:
    """Hand-checked against tables.py: silver.games is keyed by game_id, partitioned by season, copy-on-write."""
    section = docgen.render_data_dictionary().split("### `silver.games`\n", 1)[1].split("\n### ", 1)[0]
    assert "| natural key (MERGE ON) | `game_id` |" in section
    assert "| partitioned by | `season` |" in section
    assert "| write mode | copy-on-write, Iceberg format-version 2 |" in section
    assert "| Athena | `cbbd_silver.games` |" in section
    assert "`silver_games`" in section.split("| written by |", 1)[1].split("\n", 1)[0]
    assert "| `game_id` | `BIGINT` | key |" in section
    assert "| `season` | `INT` | NOT NULL |" in section
    plays = docgen.render_data_dictionary().split("### `silver.plays`\n", 1)[1].split("\n### ", 1)[0]
    assert "merge-on-read" in plays


def test_data_dictionary_cli_writes_and_checks(tmp_path: Path) -> None:
    from cbbd_etl.cli import main

    target = tmp_path / "dd.md"
    assert main(["docs", "data-dictionary", "--check", "--path", str(target)]) == 1
    assert main(["docs", "data-dictionary", "--write", "--path", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == docgen.render_data_dictionary()
    assert main(["docs", "data-dictionary", "--check", "--path", str(target)]) == 0
    assert main(["docs", "data-dictionary", "--write", "--path", str(target)]) == 0   # unchanged: no rewrite


def test_data_dictionary_anchors_resolve() -> None:
    text = docgen.render_data_dictionary()
    headings = {docgen._anchor(m) for m in re.findall(r"^### `([^`]+)`$", text, flags=re.M)}
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        assert anchor in headings, anchor


# ---------------------------------------------------------------- links
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@pytest.mark.parametrize("doc", [REPO / "README.md", *DOCS, *PROMPTS], ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for target in _LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue                      # URLs and in-page anchors
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert not broken, f"{doc.relative_to(REPO)}: links to missing files {broken}"


def test_readme_names_existing_docs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w./-]+\.md)`", readme))
    missing = [n for n in named if not ((REPO / n).exists() or (REPO / "docs" / n).exists()
                                        or (REPO / "prompts" / n).exists())]
    assert not missing, missing


# ---------------------------------------------------------------- prompts name real paths
_PATHISH = re.compile(r"`([^`\s]+)`")
_FILE_SUFFIXES = (".py", ".md", ".tf", ".json", ".yaml", ".yml", ".sql", ".txt", ".ini", ".hcl", ".cfg", ".csv")


def _named_paths(text: str) -> set[str]:
    """Backquoted tokens that are repository paths: contain a slash or end like a file we keep."""
    out = set()
    for token in _PATHISH.findall(text):
        token = token.rstrip(".,:;")
        if any(ch in token for ch in "<>{}*$=()|") or token.startswith(("http", "s3://", "-", "--")):
            continue
        token = token.split("::", 1)[0]
        if "/" in token or token.endswith(_FILE_SUFFIXES):
            if " " in token or token.startswith(("cbbd_etl.", "@", ".venv/bin/")):
                continue
            out.add(token)
    return out


def _exists(token: str) -> bool:
    if token.startswith("../shared/"):
        return (SHARED / token.removeprefix("../shared/")).exists()
    if token.startswith("/"):
        return Path(token).exists()
    candidates = [REPO / token, REPO / "lib" / "cbbd_etl" / token, REPO / "prompts" / token, REPO / "docs" / token]
    return any(c.exists() for c in candidates)


def test_prompts_exist_for_every_step_and_role() -> None:
    names = {p.relative_to(REPO / "prompts").as_posix() for p in PROMPTS}
    for n in ("ORCHESTRATION.md", "README.md", "step_1_data_engineer.md", "step_2_analytics_engineer.md",
              "step_3_test_engineer.md", "step_4_infrastructure_engineer.md", "step_5_integration.md",
              "roles/data_engineer.md", "roles/analytics_engineer.md", "roles/test_engineer.md",
              "roles/infrastructure_engineer.md", "roles/integration_lead.md"):
        assert n in names, n
    assert not list((REPO / "prompts").glob("session_*.txt")), "old ECS-era session prompts are back"


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_path_a_prompt_names_exists(prompt: Path) -> None:
    text = prompt.read_text(encoding="utf-8")
    missing = sorted(t for t in _named_paths(text) if not _exists(t))
    assert not missing, f"{prompt.relative_to(REPO)} names paths that do not exist: {missing}"


def test_path_extraction_finds_paths_and_skips_commands() -> None:
    text = ("see `lib/cbbd_etl/registry.py`, `tests/test_docs.py::test_x`, `docs/runbook.md`, `make test`, "
            "`cbbd_etl.tables.all_tables()`, `s3://bucket/x`, `{endpoint}/season=YYYY`, `.venv/bin/python -m x`")
    assert _named_paths(text) == {"lib/cbbd_etl/registry.py", "tests/test_docs.py", "docs/runbook.md"}
    assert not _exists("lib/cbbd_etl/no_such_module.py")


# ---------------------------------------------------------------- Athena examples
def _statements() -> list[str]:
    text = ATHENA_SQL.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def test_athena_examples_are_ten_or_more_queries() -> None:
    statements = _statements()
    assert len(statements) >= 10
    assert all(s.upper().startswith(("SELECT", "WITH")) for s in statements)


def _sql_problems(sql: str, i: int = 1) -> list[str]:
    """Undeclared tables and columns in one Trino statement (aliases and CTE names are allowed)."""
    import sqlglot
    from sqlglot import exp

    declared = {t.name: {n for n, _ in t.all_columns} for t in all_tables()}
    problems: list[str] = []
    tree = sqlglot.parse_one(sql, read="trino")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    alias_to_table: dict[str, str] = {}
    used_tables = set()
    for table in tree.find_all(exp.Table):
        if table.name in ctes and not table.db:
            continue
        layer = ATHENA_DATABASES.get(table.db)
        logical = f"{layer}.{table.name}" if layer else f"{table.db}.{table.name}"
        if logical not in declared:
            problems.append(f"query {i}: table {table.db}.{table.name} is not declared")
            continue
        used_tables.add(logical)
        alias_to_table[table.alias_or_name] = logical
    aliases = {a.alias for a in tree.find_all(exp.Alias)} | ctes
    known_anywhere = set().union(*(declared[t] for t in used_tables)) if used_tables else set()
    for col in tree.find_all(exp.Column):
        name, qualifier = col.name, col.table
        if qualifier in alias_to_table:
            if name not in declared[alias_to_table[qualifier]]:
                problems.append(f"query {i}: {alias_to_table[qualifier]} has no column {name}")
        elif name not in known_anywhere and name not in aliases:
            problems.append(f"query {i}: column {qualifier + '.' if qualifier else ''}{name} is not declared")
    if not used_tables:
        problems.append(f"query {i}: reads no declared table")
    return problems


def test_athena_examples_parse_as_trino_and_use_only_declared_tables_and_columns() -> None:
    pytest.importorskip("sqlglot")
    problems = [p for i, sql in enumerate(_statements(), 1) for p in _sql_problems(sql, i)]
    assert not problems, "\n".join(problems)


def test_athena_checker_catches_undeclared_names() -> None:
    pytest.importorskip("sqlglot")
    assert _sql_problems("SELECT team, adj_margin FROM cbbd_gold.team_season WHERE season = 2024") == []
    assert _sql_problems("SELECT team, kenpom_rank FROM cbbd_gold.team_season") == [
        "query 1: column kenpom_rank is not declared"]
    assert _sql_problems("SELECT g.home_points, g.points FROM cbbd_silver.games AS g") == [
        "query 1: silver.games has no column points"]
    assert _sql_problems("SELECT x FROM cbbd_gold.no_such_table") == [
        "query 1: table cbbd_gold.no_such_table is not declared", "query 1: column x is not declared",
        "query 1: reads no declared table"]
