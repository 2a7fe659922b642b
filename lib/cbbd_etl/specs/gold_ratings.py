"""Gold tables of ratings and pre-game features (gold part 1). Declared here, built by ``cbbd_etl.gold``."""
from __future__ import annotations

from ..table_spec import TableSpec

TABLES: tuple[TableSpec, ...] = ()
