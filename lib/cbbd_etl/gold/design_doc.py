"""Generated column lists of docs/gold_layer_design.md, from the table declarations.

Why generated: a hand-kept column list drifts from the declarations within a
sprint. The design document keeps its prose (grain, formulas, refresh) by hand
and one generated block per gold table between markers; ``tests`` fail when a
block differs from :func:`gold_design_columns`. Refresh with
``python -m cbbd_etl.gold.design_doc --write``. A column's definition is its
declared ``Column.doc`` when set, else the entry below. Pure: imports only
declarations.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from ..table_spec import TableSpec

DOC = Path(__file__).resolve().parents[3] / "docs" / "gold_layer_design.md"
BEGIN, END = "<!-- BEGIN GENERATED COLUMNS {} -->", "<!-- END GENERATED COLUMNS {} -->"
PENDING = "<!-- GENERATED COLUMNS PENDING {} -->"   # a section written before its table is declared

COMMON: dict[str, str] = {
    "season": "season (the year it ends: 2024 = 2023-24); the partition",
    "team_id": "CBBD team id", "team": "CBBD school name (latest seen in the season)",
    "conference": "conference of the team (latest seen)", "game_id": "CBBD game id",
    "game_date": "US/Eastern calendar date of the game", "athlete_id": "CBBD athlete id",
    "name": "player name (latest seen)", "position": "position (latest seen)",
    "start_date": "scheduled start, UTC", "status": "game status from silver.games",
    "home_team_id": "home team id", "home_team": "home team", "away_team_id": "away team id",
    "away_team": "away team", "home_points": "home points (final)", "away_points": "away points (final)",
    "opponent_id": "opponent team id", "opponent": "opponent school name",
}
_PLAYER: dict[str, str] = {
    "starter": "started the game", "minutes": "MP, player minutes", "points": "PTS",
    "fg_made": "FGM", "fg_att": "FGA", "fg3_made": "3PM", "fg3_att": "3PA", "ft_made": "FTM", "ft_att": "FTA",
    "oreb": "offensive rebounds", "dreb": "defensive rebounds", "treb": "total rebounds", "assists": "AST",
    "turnovers": "TOV", "steals": "STL", "blocks": "BLK", "fouls": "PF",
    "team_minutes": "Tm MP: Σ team player minutes in the player's games (else 5 × game minutes)",
    "team_fg_made": "Tm FGM in the player's games", "team_fg_att": "Tm FGA", "team_ft_att": "Tm FTA",
    "team_tov": "Tm TOV", "team_oreb": "Tm OREB", "team_dreb": "Tm DREB", "opp_oreb": "Opp OREB",
    "opp_dreb": "Opp DREB", "team_possessions": "Tm FGA − Tm OREB + Tm TOV + 0.475·Tm FTA",
    "possessions": "player possessions = Tm poss × MP / (Tm MP / 5)",
    "efg_pct": "(FGM + 0.5·3PM) / FGA (fraction)", "ts_pct": "PTS / (2·(FGA + 0.44·FTA)) (fraction)",
    "usage_rate": "100·((FGA + 0.44·FTA + TOV)·(Tm MP/5)) / (MP·(Tm FGA + 0.44·Tm FTA + Tm TOV))",
    "ast_rate": "100·AST / ((MP/(Tm MP/5))·Tm FGM − FGM)", "tov_rate": "100·TOV / (FGA + 0.44·FTA + TOV)",
    "oreb_rate": "100·OREB·(Tm MP/5) / (MP·(Tm OREB + Opp DREB))",
    "dreb_rate": "100·DREB·(Tm MP/5) / (MP·(Tm DREB + Opp OREB))",
    "treb_rate": "100·TREB·(Tm MP/5) / (MP·(all rebounds of both teams))",
    "points_per40": "40·PTS/MP", "treb_per40": "40·TREB/MP", "assists_per40": "40·AST/MP",
    "points_per100": "100·PTS/possessions", "treb_per100": "100·TREB/possessions",
    "assists_per100": "100·AST/possessions",
    "box_score_per100": "100 × Σ β·box counts / possessions, β = the season's fitted box regression "
                        "(scoring above league points per attempt, 3PA, AST, TOV, OREB, DREB, STL, BLK, PF)",
}
DEFINITIONS: dict[str, dict[str, str]] = {
    "gold.player_game": _PLAYER,
    "gold.player_season": {
        **_PLAYER, "games": "games played (rows in gold.player_game)", "starts": "games started",
        "team_games": "the team's games in the season", "minutes_per_game": "MP / games",
        "points_per_game": "PTS / games", "treb_per_game": "TREB / games", "assists_per_game": "AST / games",
        "minutes_share": "MP / (Tm MP of players with an impact / 5); sums to 5 per team",
        "qualified": "games ≥ 0.4 × team games and MP ≥ 0.4 × team minutes / 5 (KenPom's 40% of minutes)",
        "raw_impact": "(box_score_per100 + regression intercept / 5 − the position's mean of it + the league's) "
                      "× poss / (poss + 400): role-centred, shrunk toward average by possessions",
        "team_margin_per100": "team margin the impacts are adjusted to (adjusted rating, else raw net)",
        "team_margin_source": "where team_margin_per100 came from",
        "impact_team_adjustment": "(team margin − Σ raw_impact·minutes_share) / 5",
        "impact": "BPM-style regression box impact, points per 100 possessions above average: raw_impact + "
                  "impact_team_adjustment; Σ impact·minutes_share = team margin",
        "impact_rank": "rank by impact among the season's qualified players",
    },
    "gold.market_lines": {
        "provider": "line provider, or 'consensus' (medians over providers)",
        "providers": "1, or the number of providers behind the consensus",
        "spread": "closing home spread (negative = home favoured); pick'em rule applied",
        "spread_inferred_pickem": "spread was null and read as a pick'em 0 (see the rule)",
        "total": "closing over/under", "home_moneyline": "home American odds", "away_moneyline": "away odds",
        "home_implied_prob": "implied probability of the home moneyline (vig included)",
        "away_implied_prob": "implied probability of the away moneyline", "overround": "home + away implied − 1",
        "home_win_prob": "vig-free: home implied / (home + away implied)", "away_win_prob": "1 − home_win_prob",
        "spread_open": "opening home spread (often null)", "total_open": "opening total",
        "spread_move": "spread − spread_open", "total_move": "total − total_open",
        "actual_margin": "home − away points (final games)", "actual_total": "home + away points",
        "ats_result": "'home' / 'away' cover or 'push' (spread_error = 0)",
        "ou_result": "'over' / 'under' / 'push'", "spread_error": "actual_margin + spread",
        "total_error": "actual_total − total",
        "model_margin": "the project's pre-game predicted home margin (gold.game_features)",
        "model_edge": "model_margin + spread", "model_edge_open": "model_margin + spread_open",
        "model_side": "side the edge favours at the open (at the close without an open)",
        "model_ats_result": "'win' / 'loss' / 'push' of model_side at the close",
        "model_clv_points": "line movement toward model_side, open → close (points)",
    },
    "gold.team_crosswalk": {
        "school": "CBBD school name (silver.teams)", "conference": "CBBD conference that season",
        "division": "'D1' when CBBD lists a conference, else 'non-D1' (disambiguates same-named schools)",
        "kenpom_name": "KenPom spelling", "torvik_name": "Barttorvik spelling",
        "kaggle_team_id": "Kaggle March Mania TeamID", "kaggle_name": "Kaggle TeamName",
        "sportsbook_name": "name sportsbooks list the team under (CBBD name unless an alias says otherwise)",
        "mapped": "the seed has an entry for (school, division)",
    },
    # Gold part 1 (cbbd_etl.gold.ratings / power_rankings / ratings_model): short definitions; the solver's
    # formulas are in those modules. A declared Column.doc takes precedence over these.
    "gold.team_ratings_daily": {
        "rating_date": "ratings use final games strictly before this US/Eastern date",
        "games_played": "final games before rating_date", "box_games_played": "of those, with box scores",
        "adj_off": "opponent-adjusted points per 100 possessions scored", "adj_def": "… allowed",
        "adj_tempo": "opponent-adjusted possessions per 40 minutes", "adj_em": "adj_off − adj_def",
        "adj_margin": "opponent-adjusted scoring margin per game (margin model with home court)",
        "rank_em": "rank by adj_em that day", "rank_margin": "rank by adj_margin that day",
        "home_court": "fitted home-court advantage, points", "home_court_eff": "fitted home-court advantage, per 100",
        "mean_efficiency": "league mean efficiency of the fit", "mean_tempo": "league mean tempo of the fit",
        "prior_weight": "weight of the preseason prior in the fit that day",
    },
    "gold.power_rankings": {
        "week": "week number (week 1 starts on the season's first game date)", "week_end": "last day of the week",
        "rank_margin": "project adj_margin rank", "rank_em": "project adj_em rank",
        "rank_cbbd_srs": "CBBD SRS rank (end-of-season snapshot)", "rank_cbbd_adjusted": "CBBD adjusted net rank",
        "rank_cbbd_elo": "CBBD Elo rank", "ap_rank": "AP poll rank", "coaches_rank": "Coaches poll rank",
        "composite_score": "weighted mean of 100·(1 − (rank − 1)/N) over the sources present",
        "composite_rank": "rank by composite_score", "sources": "sources in the composite",
        "end_of_season_snapshot": "the week includes CBBD's end-of-season ratings",
    },
    "gold.game_features": {
        "site": "home / away / neutral", "is_home": "the team is at home", "neutral_site": "neutral site",
        "conference_game": "conference game", "team_adj_margin": "team adj_margin as of the day before",
        "opp_adj_margin": "opponent adj_margin as of the day before", "team_adj_off": "team adj_off (pre-game)",
        "team_adj_def": "team adj_def (pre-game)", "team_adj_tempo": "team adj_tempo (pre-game)",
        "opp_adj_off": "opponent adj_off (pre-game)", "opp_adj_def": "opponent adj_def (pre-game)",
        "opp_adj_tempo": "opponent adj_tempo (pre-game)", "team_games_played": "team games before this one",
        "opp_games_played": "opponent games before this one", "team_prior_weight": "prior weight in team rating",
        "opp_prior_weight": "prior weight in opponent rating", "home_court": "home-court advantage applied",
        "predicted_margin": "pre-game predicted margin for this team (gold.market_lines grades the home row)",
        "predicted_total": "pre-game predicted total points", "form_margin_last5": "mean margin, last 5 games",
        "form_margin_last10": "mean margin, last 10", "form_wins_last5": "wins in the last 5",
        "form_wins_last10": "wins in the last 10", "opp_form_margin_last5": "opponent mean margin, last 5",
        "opp_form_margin_last10": "opponent mean margin, last 10", "rest_days": "days since the team's last game",
        "opp_rest_days": "days since the opponent's last game", "result": "label: W / L (T for a tie)",
        "won": "label: won",
        "points_for": "label: points scored", "points_against": "label: points allowed",
        "margin": "label: points_for − points_against", "total": "label: points_for + points_against",
    },
    "gold.team_season": {
        "games": "final games", "wins": "wins", "losses": "losses", "conf_wins": "conference wins",
        "conf_losses": "conference losses", "home_wins": "home wins", "home_losses": "home losses",
        "away_wins": "away wins", "away_losses": "away losses", "neutral_wins": "neutral-site wins",
        "neutral_losses": "neutral-site losses", "points_for": "Σ points scored",
        "points_against": "Σ points allowed", "avg_points_for": "points_for / games",
        "avg_points_against": "points_against / games", "avg_margin": "(points_for − points_against) / games",
        "minutes": "Σ game minutes (overtime included)",
        "possessions": "possessions over box-complete games (FGA − OREB + TOV + 0.475·FTA; "
                       "see cbbd_etl.gold.team_season)",
        "opp_possessions": "the same for the opponents",
        "tempo": "40 · Σ game possessions / Σ minutes of box-complete games",
        "games_missing_box": "final games lacking a possession input (FGA, OREB, TOV, FTA of either side): "
                             "in records and points, not in efficiency",
        "game_possessions": "Σ game possession counts (mean of both teams' estimates), box-complete games",
        "win_pct": "wins / games", "pythag_win_pct": "off^11.5 / (off^11.5 + def^11.5) of the raw efficiencies",
        "luck": "win_pct − pythag_win_pct", "sos": "mean final adj_margin of the opponents faced",
        "adj_off": "opponent-adjusted offensive efficiency (ratings solver, docs/ratings.md)",
        "adj_def": "opponent-adjusted defensive efficiency", "adj_tempo": "opponent-adjusted tempo",
        "adj_em": "adj_off − adj_def", "adj_margin": "opponent-adjusted scoring margin per game (ratings solver)",
        "rank_adj_margin": "rank by adj_margin in the season",
        "off_efficiency": "100 · points_for / possessions",
        "def_efficiency": "100 · points_against / opp_possessions",
        "net_efficiency": "off_efficiency − def_efficiency", "off_efg_pct": "(FGM + 0.5·3PM)/FGA",
        "off_tov_pct": "TOV / possessions", "off_oreb_pct": "OREB / (OREB + opp DREB)",
        "off_ft_rate": "FTA / FGA", "def_efg_pct": "opponents' eFG%", "def_tov_pct": "opponents' TOV%",
        "def_oreb_pct": "opponents' OREB%", "def_ft_rate": "opponents' FT rate",
    },
}
LINEAGE_DOC: dict[str, str] = {
    "_ingested_at": "latest silver ingest time behind the row", "_source_file": "silver tables it was built from",
    "_run_id": "run that wrote it", "_row_hash": "content hash (unchanged rows are not rewritten)",
}


def gold_tables() -> list[TableSpec]:
    from ..tables import all_tables

    return sorted((t for t in all_tables() if t.layer == "gold"), key=lambda t: t.name)


def definition(spec: TableSpec, column: str) -> str:
    doc = next((c.doc for c in spec.columns if c.name == column), "")
    return doc or DEFINITIONS.get(spec.name, {}).get(column) or COMMON.get(column) or LINEAGE_DOC.get(column, "")


def table_block(spec: TableSpec) -> str:
    """The generated markdown of one table: key, partitioning and the column table."""
    not_null = {c.name for c in spec.columns if not c.nullable}
    lines = [BEGIN.format(spec.name),
             f"Key: `{', '.join(spec.keys)}` · partitioned by `{', '.join(spec.partition_by) or 'none'}` · "
             f"{'merge-on-read' if spec.merge_on_read else 'copy-on-write'}",
             "", "| column | type | null | definition |", "|---|---|---|---|"]
    for name, typ in spec.all_columns:
        text = definition(spec, name).replace("|", "\\|")
        lines.append(f"| `{name}` | {typ} | {'no' if name in not_null else 'yes'} | {text} |")
    lines.append(END.format(spec.name))
    return "\n".join(lines)


def gold_design_columns() -> dict[str, str]:
    """Table name → its generated block, for every declared gold table."""
    return {t.name: table_block(t) for t in gold_tables()}


def stale_tables(text: str) -> list[str]:
    """Gold tables whose block in ``text`` is missing or differs from the declarations."""
    out = []
    for name, block in gold_design_columns().items():
        m = re.search(re.escape(BEGIN.format(name)) + r".*?" + re.escape(END.format(name)), text, flags=re.S)
        if not m or m.group(0) != block:
            out.append(name)
    return out


def refresh(text: str) -> str:
    """``text`` with every generated block replaced; blocks of new tables are appended under 'Generated'."""
    for name, block in gold_design_columns().items():
        pattern = re.escape(BEGIN.format(name)) + r".*?" + re.escape(END.format(name))
        if re.search(pattern, text, flags=re.S):
            text = re.sub(pattern, lambda _m: block, text, flags=re.S)
        elif PENDING.format(name) in text:
            text = text.replace(PENDING.format(name), block)
        else:
            text = text.rstrip("\n") + f"\n\n### `{name}` (new declaration: describe it above)\n\n{block}\n"
    return text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = DOC.read_text(encoding="utf-8")
    if "--write" in args:
        DOC.write_text(refresh(text), encoding="utf-8")
        return 0
    stale = stale_tables(text)
    for name in stale:
        print(f"{DOC.name}: columns of {name} are stale; run python -m cbbd_etl.gold.design_doc --write")
    return 1 if stale else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
