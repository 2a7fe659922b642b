"""Gold tables of players, betting markets and the team-name crosswalk (gold part 2)."""
from __future__ import annotations

from ..table_spec import TableSpec

TABLES: tuple[TableSpec, ...] = ()
