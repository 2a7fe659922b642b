"""Data-quality rules of every declared table, written once for both evaluators.

Why one declaration: the same rule runs on a laptop (compiled to Spark SQL that
returns the failing rows, :mod:`cbbd_etl.dq.spark_eval`) and in AWS Glue
(compiled to DQDL for ``EvaluateDataQuality`` and the Terraform rulesets,
:mod:`cbbd_etl.dq.dqdl`). A rule therefore states *what* must hold, never how
an engine checks it; the compilers decide the form.

Every table gets generic rules derived from its :class:`TableSpec` (primary
key unique and complete, NOT NULL columns complete, the season in range, enum
columns within the API's allowed values, box-score counts not negative), so a
table declared tomorrow has rules without anyone writing them. Hand-declared
rules (:data:`HAND_RULES`) add ranges, freshness, referential integrity and
cross-table reconciliations on top.

Where a rule runs on AWS (:attr:`Rule.engine`):

* ``dqdl``: a native DQDL rule type (IsPrimaryKey, IsComplete, ColumnValues, RowCount, ReferentialIntegrity);
* ``custom_sql``: DQDL ``CustomSql`` over the table alone (``primary`` is the table alias);
* ``local``: Spark SQL only (multi-table reconciliations, array columns, which DQDL cannot read);
  the Glue job still evaluates these with the Spark SQL evaluator.

Pure Python: no Spark, no I/O (the enum values come from the packaged API models).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..table_spec import TableSpec

SEVERITIES: tuple[str, ...] = ("warn", "error")
KINDS: tuple[str, ...] = ("primary_key", "complete", "accepted_values", "range", "row_count", "freshness",
                          "referential", "custom", "reconcile")
ENGINES: tuple[str, ...] = ("dqdl", "custom_sql", "local")

# The seasons the lake holds (config ``seasons.first``/``seasons.last``; a test keeps them equal). DQDL and the
# Terraform rulesets are static text, so the range is declared here rather than read from a config at run time.
SEASON_FIRST, SEASON_LAST = 2010, 2027

# Placeholders a predicate or a reconciliation query may use: ``{as_of}`` is the run's as-of date (DQDL:
# ``current_date()``); ``{silver.games}`` names another table (reconciliations only; local evaluator).
AS_OF = "{as_of}"
_TABLE_REF = re.compile(r"\{((?:silver|gold|meta)\.\w+)\}")


@dataclass(frozen=True)
class Rule:
    """One data-quality rule of one table; see the module docstring for the kinds and engines.

    ``kind`` decides the meaning of the other fields:

    * ``primary_key``: ``columns`` unique together and never null;
    * ``complete``: ``columns[0]`` never null;
    * ``accepted_values``: ``columns[0]`` in ``values`` (null allowed unless ``allow_null`` is False);
    * ``range``: ``min_value <= columns[0] <= max_value`` (either bound optional; null is not checked);
    * ``row_count``: the table (or season) has at least one row;
    * ``freshness``: the latest ``columns[0]`` is at most ``max_age_days`` before the as-of date;
    * ``referential``: every non-null ``columns`` value exists in ``reference`` ``reference_columns``;
    * ``custom``: rows matching ``predicate`` (Spark SQL over the table's columns) fail;
    * ``reconcile``: ``sql`` (Spark SQL, other tables as ``{layer.table}``) returns the failing rows.
    """

    table: str
    name: str
    kind: str
    severity: str
    description: str
    columns: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    allow_null: bool = True
    reference: str | None = None
    reference_columns: tuple[str, ...] = ()
    max_age_days: int | None = None
    predicate: str | None = None
    sql: str | None = None
    sample_columns: tuple[str, ...] = ()     # shown as failing keys; default: the table's natural key
    local_only: str = ""                     # why DQDL cannot express it (forces engine "local")
    generated: bool = False                  # derived from the TableSpec, not hand-declared

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity {self.severity!r} not in {SEVERITIES}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind {self.kind!r} not in {KINDS}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"{self.id}: rule names are snake_case")
        needs = {"primary_key": self.columns, "complete": self.columns, "accepted_values": self.values,
                 "freshness": self.max_age_days, "referential": self.reference, "custom": self.predicate,
                 "reconcile": self.sql, "range": self.columns and (self.min_value is not None
                                                                   or self.max_value is not None)}
        if self.kind in needs and not needs[self.kind]:
            raise ValueError(f"{self.id}: a {self.kind} rule needs its parameters")
        for text in (self.predicate, self.sql):
            if text and '"' in text:
                raise ValueError(f"{self.id}: use single quotes in SQL (DQDL quotes the statement with double)")

    @property
    def id(self) -> str:
        """``silver.games:primary_key``: unique over the whole lake, the key of ``meta.dq_results``."""
        return f"{self.table}:{self.name}"

    @property
    def engine(self) -> str:
        if self.local_only or self.kind == "reconcile":
            return "local"
        if self.kind in ("custom", "freshness"):
            return "custom_sql"
        if self.kind == "range" and self.min_value is not None and self.max_value is not None:
            return "custom_sql"   # DQDL's `between` bounds are not documented as inclusive: say it in SQL
        return "dqdl"

    @property
    def reads_as_of(self) -> bool:
        """Whether the outcome depends on the as-of date (a freshness rule, or SQL that names ``{as_of}``).

        The others give the same result on the same snapshots whatever the day, so a run the next day can
        reuse it (:func:`cbbd_etl.dq.job.rule_versions`).
        """
        return self.kind == "freshness" or AS_OF in (self.predicate or "") or AS_OF in (self.sql or "")

    @property
    def tables_read(self) -> tuple[str, ...]:
        """Every table the rule reads: its own, the referenced one, those a reconciliation joins."""
        out = [self.table]
        if self.reference:
            out.append(self.reference)
        out += _TABLE_REF.findall(self.sql or "")
        return tuple(dict.fromkeys(out))


def table_refs(sql: str) -> list[str]:
    """The ``{layer.table}`` placeholders of a reconciliation query."""
    return _TABLE_REF.findall(sql)


# ----------------------------------------------------------------------------------------- generic rules
# Box-score and record counts: a negative value is a broken record. Matched on the whole last word(s) of the
# column name; words that mark a difference or a rating (which may be negative) exclude a column.
_COUNT_COLUMN = re.compile(
    r"(^|_)(made|att|attempted|points|assists|blocks|steals|fouls|turnovers|oreb|dreb|treb|tov|attendance|"
    r"wins|losses|games|possessions)$|^rebounds_(total|offensive|defensive)$")
_SIGNED_WORDS = re.compile(r"(^|_)(net|margin|diff|plus|minus|rank|change|relative|adj|adjusted|elo|spread|"
                           r"moneyline|clv|per|avg|rating|pct|rate|ratio|share)(_|$)")
_NUMERIC = ("INT", "BIGINT", "DOUBLE", "FLOAT", "SMALLINT", "TINYINT")


def is_count_column(name: str, typ: str) -> bool:
    return typ.upper() in _NUMERIC and bool(_COUNT_COLUMN.search(name)) and not _SIGNED_WORDS.search(name)


@lru_cache(maxsize=None)
def enum_columns(table: str) -> dict[str, tuple[str, ...]]:
    """Columns whose API model field is an enum, with the allowed values (from the packaged API models)."""
    from ..silver.api_models import flat_columns, response_model
    from ..silver.endpoint_tables import ENDPOINT_TABLES

    for t in ENDPOINT_TABLES:
        if t.table == table:
            return {c.name: c.enum_values for c in t.columns if c.enum_values}
    curated_sources = {"silver.games": "/games", "silver.team_game_stats": "/games/teams"}
    if table in curated_sources:
        model = response_model(curated_sources[table])[0]
        return {c.name: c.enum_values for c in flat_columns(model) if c.enum_values}
    return {}


def generic_rules(spec: "TableSpec") -> tuple[Rule, ...]:
    """Rules every table gets from its declaration alone."""
    rules = [Rule(spec.name, "primary_key", "primary_key", "error",
                  f"natural key ({', '.join(spec.keys)}) unique and never null", columns=spec.keys, generated=True)]
    for c in spec.columns:
        if not c.nullable and c.name not in spec.keys:
            rules.append(Rule(spec.name, f"complete_{c.name}", "complete", "error", f"{c.name} is never null",
                              columns=(c.name,), generated=True))
    names = {c.name: c for c in spec.columns}
    if "season" in names:
        rules.append(Rule(spec.name, "season_in_range", "range", "error",
                          f"season within {SEASON_FIRST}-{SEASON_LAST}", columns=("season",),
                          min_value=SEASON_FIRST, max_value=SEASON_LAST, generated=True))
    for col, values in enum_columns(spec.name).items():
        if col in names:
            rules.append(Rule(spec.name, f"accepted_{col}", "accepted_values", "error",
                              f"{col} is one of the API's values", columns=(col,), values=values,
                              allow_null=names[col].nullable, generated=True))
    for c in spec.columns:
        if is_count_column(c.name, c.type):
            rules.append(Rule(spec.name, f"non_negative_{c.name}", "range", "error", f"{c.name} is not negative",
                              columns=(c.name,), min_value=0, generated=True))
    return tuple(rules)


# ----------------------------------------------------------------------------------------- hand rules
def _game_exists(table: str, severity: str = "error") -> Rule:
    return Rule(table, "game_exists", "referential", severity, "every game_id is a game of silver.games",
                columns=("game_id",), reference="silver.games", reference_columns=("game_id",))


_TEAM_POINTS_VS_SCORE = """
SELECT t.game_id, t.team_id, t.team_points,
       CASE WHEN t.team_id = g.home_team_id THEN g.home_points ELSE g.away_points END AS game_points
FROM {silver.team_game_stats} t JOIN {silver.games} g ON t.game_id = g.game_id
WHERE g.status = 'final' AND t.team_points IS NOT NULL
  AND NOT (t.team_points <=> CASE WHEN t.team_id = g.home_team_id THEN g.home_points ELSE g.away_points END)
"""

_PLAYER_POINTS_VS_TEAM = """
SELECT p.game_id, p.team_id, p.player_points, t.team_points
FROM (SELECT game_id, team_id, SUM(points) AS player_points FROM {silver.player_game_stats}
      GROUP BY game_id, team_id) p
JOIN {silver.team_game_stats} t ON p.game_id = t.game_id AND p.team_id = t.team_id
WHERE t.team_points IS NOT NULL AND NOT (p.player_points <=> CAST(t.team_points AS DOUBLE))
"""

# The last play of a game: the latest period, the least time left, then the latest play id.
_LAST_PLAY_VS_FINAL = """
SELECT l.game_id, l.play_id, l.home_score, l.away_score, g.home_points, g.away_points
FROM (SELECT game_id, play_id, home_score, away_score,
             ROW_NUMBER() OVER (PARTITION BY game_id ORDER BY period DESC, seconds_remaining ASC,
                                play_id DESC) AS rn
      FROM {silver.plays} WHERE game_id IS NOT NULL) l
JOIN {silver.games} g ON l.game_id = g.game_id
WHERE l.rn = 1 AND g.status = 'final'
  AND NOT (l.home_score <=> CAST(g.home_points AS BIGINT) AND l.away_score <=> CAST(g.away_points AS BIGINT))
"""

_FIVE_ON_FLOOR = """
SELECT play_id, game_id, team, players FROM (
  SELECT play_id, game_id, inline(transform(array_distinct(transform(on_floor, p -> p.team)),
    t -> named_struct('team', t, 'players',
      size(array_distinct(transform(filter(on_floor, p -> p.team <=> t AND p.id IS NOT NULL), p -> p.id))))))
  FROM {silver.plays}
) f WHERE players <> 5
"""
# Distinct players of each team within each play row, with array functions: no explode into ten rows a play and
# no shuffle (a GROUP BY over the exploded rows was 7 s of the demo's 28 s data-quality run). Distinct ids:
# a player listed twice is not a sixth player.

_ARRAYS = "DQDL does not read list-typed columns"
_MULTI = "reads several tables (DQDL CustomSql sees only the primary dataset)"

HAND_RULES: dict[str, tuple[Rule, ...]] = {
    "silver.games": (
        Rule("silver.games", "has_rows", "row_count", "warn", "the season has games"),
        Rule("silver.games", "final_game_not_in_future", "custom", "error",
             "a final game's date is not after the as-of date",
             predicate=f"status = 'final' AND game_date > {AS_OF}"),
        Rule("silver.games", "final_game_has_score", "custom", "error", "a final game has both scores",
             predicate="status = 'final' AND (home_points IS NULL OR away_points IS NULL)"),
        Rule("silver.games", "two_different_teams", "custom", "error", "home and away are different teams",
             predicate="home_team_id = away_team_id"),
        Rule("silver.games", "ingest_is_fresh", "freshness", "warn",
             "the latest ingest is at most 3 days before the as-of date (the daily workflow ran)",
             columns=("_ingested_at",), max_age_days=3),
    ),
    "silver.team_game_stats": (
        _game_exists("silver.team_game_stats"),
        Rule("silver.team_game_stats", "opponent_is_another_team", "custom", "error",
             "a team does not play itself", predicate="team_id = opponent_id"),
        Rule("silver.team_game_stats", "team_points_equal_game_score", "reconcile", "error",
             "a final game's team box points equal the game's score for that team",
             sql=_TEAM_POINTS_VS_SCORE, sample_columns=("game_id", "team_id")),
    ),
    "silver.player_game_stats": (
        _game_exists("silver.player_game_stats"),
        Rule("silver.player_game_stats", "minutes_in_range", "range", "error",
             "a player's minutes are between 0 and 70 (40 plus six overtimes)", columns=("minutes",),
             min_value=0, max_value=70),
        Rule("silver.player_game_stats", "player_points_sum_to_team_points", "reconcile", "error",
             "the players' points of a team in a game add up to the team's box points",
             sql=_PLAYER_POINTS_VS_TEAM, sample_columns=("game_id", "team_id")),
    ),
    "silver.plays": (
        Rule("silver.plays", "complete_game_id", "complete", "error", "every play names its game",
             columns=("game_id",)),
        _game_exists("silver.plays"),
        Rule("silver.plays", "period_positive", "range", "error", "periods count from 1", columns=("period",),
             min_value=1),
        Rule("silver.plays", "seconds_remaining_in_range", "range", "error",
             "seconds remaining in a period are between 0 and 1200 (a 20-minute half)",
             columns=("seconds_remaining",), min_value=0, max_value=1200),
        Rule("silver.plays", "non_negative_home_score", "range", "error", "home score is not negative",
             columns=("home_score",), min_value=0),
        Rule("silver.plays", "non_negative_away_score", "range", "error", "away score is not negative",
             columns=("away_score",), min_value=0),
        Rule("silver.plays", "last_play_score_equals_final_score", "reconcile", "error",
             "the score after a final game's last play equals the game's final score",
             sql=_LAST_PLAY_VS_FINAL, sample_columns=("game_id",)),
        Rule("silver.plays", "five_on_floor_per_team", "reconcile", "error",
             "each team has exactly five players on the floor at every play that lists them",
             sql=_FIVE_ON_FLOOR, sample_columns=("play_id", "team"), local_only=_ARRAYS),
    ),
    "silver.game_lines": (_game_exists("silver.game_lines"),),
    "silver.game_media": (_game_exists("silver.game_media", "warn"),),
    "silver.substitutions": (
        _game_exists("silver.substitutions"),
        Rule("silver.substitutions", "sub_in_period_positive", "range", "error", "periods count from 1",
             columns=("sub_in_period",), min_value=1),
    ),
    "silver.game_lineups": (
        _game_exists("silver.game_lineups"),
        Rule("silver.game_lineups", "five_athletes", "custom", "error", "a lineup stint has five players",
             predicate="athletes IS NOT NULL AND size(athletes) <> 5", local_only=_ARRAYS),
    ),
    "silver.lineups": (
        Rule("silver.lineups", "five_athletes", "custom", "error", "a season lineup has five players",
             predicate="athletes IS NOT NULL AND size(athletes) <> 5", local_only=_ARRAYS),
    ),
    "gold.team_season": (
        Rule("gold.team_season", "wins_plus_losses_equal_games", "custom", "error",
             "every final game is a win or a loss", predicate="wins + losses <> games"),
        Rule("gold.team_season", "tempo_plausible", "range", "warn",
             "tempo between 50 and 90 possessions per 40 minutes", columns=("tempo",), min_value=50, max_value=90),
        Rule("gold.team_season", "off_efficiency_plausible", "range", "warn",
             "offensive efficiency between 60 and 150 points per 100 possessions", columns=("off_efficiency",),
             min_value=60, max_value=150),
    ),
    "meta.dq_results": (
        Rule("meta.dq_results", "accepted_status", "accepted_values", "error", "status is passed, failed or skipped",
             columns=("status",), values=("passed", "failed", "skipped"), allow_null=False),
        Rule("meta.dq_results", "accepted_severity", "accepted_values", "error", "severity is warn or error",
             columns=("severity",), values=SEVERITIES, allow_null=False),
    ),
    "meta.quarantine": (
        Rule("meta.quarantine", "reason_given", "custom", "error", "every quarantined record says why",
             predicate="trim(reason) = ''"),
    ),
}
# A hand rule with a generic rule's name replaces it (e.g. a sharper description or severity).


def rules_for(spec: "TableSpec") -> tuple[Rule, ...]:
    """Generic rules of ``spec`` plus its hand-declared ones (a hand rule overrides a generic one by name)."""
    hand = HAND_RULES.get(spec.name, ())
    names = {r.name for r in hand}
    return tuple(r for r in generic_rules(spec) if r.name not in names) + hand


def all_rules(tables: "tuple[TableSpec, ...] | None" = None) -> dict[str, tuple[Rule, ...]]:
    """Every declared table (``cbbd_etl.tables.all_tables()``) with its rules, in declaration order."""
    from ..tables import all_tables

    return {spec.name: rules_for(spec) for spec in (tables if tables is not None else all_tables())}


def check_rules(rules: dict[str, tuple[Rule, ...]] | None = None) -> list[str]:
    """Declaration errors: unknown tables or columns, duplicate names, tables without rules (empty = good)."""
    from ..tables import all_tables

    specs = {t.name: t for t in all_tables()}
    rules = all_rules() if rules is None else rules
    problems = []
    for table in HAND_RULES:
        if table not in specs:
            problems.append(f"{table}: hand rules for an undeclared table")
    for table, table_rules in rules.items():
        if not table_rules:
            problems.append(f"{table}: no rules")
        names = [r.name for r in table_rules]
        if len(set(names)) != len(names):
            problems.append(f"{table}: duplicate rule names")
        spec = specs.get(table)
        if spec is None:
            continue
        have = {n for n, _ in spec.all_columns}
        for r in table_rules:
            for col in r.columns + r.sample_columns:
                if col not in have and r.kind != "reconcile":
                    problems.append(f"{r.id}: no column {col}")
            if r.reference:
                ref = specs.get(r.reference)
                if ref is None:
                    problems.append(f"{r.id}: reference {r.reference} is not declared")
                elif not set(r.reference_columns) <= set(ref.data_columns):
                    problems.append(f"{r.id}: {r.reference} lacks {r.reference_columns}")
            for other in table_refs(r.sql or ""):
                if other not in specs:
                    problems.append(f"{r.id}: reads undeclared {other}")
    return problems
