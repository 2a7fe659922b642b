"""Glue job script for `gold_player_season` (declared in cbbd_etl.registry; the wheel holds the logic)."""
from cbbd_etl.glue_entry import run_glue_job

if __name__ == "__main__":
    run_glue_job("gold_player_season")
