"""A seeded, simulated college-basketball season served in the exact shapes of the CBBD API.

Why: the pipeline (bronze → silver → gold) and the ratings built on it need
realistic data with a *known* truth, offline and for free. ``simulate_season``
draws teams with latent offense, defense and tempo, plays a full season
possession by possession (box scores, play-by-play, substitutions and lineups
all from the same events, so they reconcile exactly), and builds every one of
the 40 endpoints' records as the official SDK (``cbbd==1.30.1``) models them.
``SimulatedApi`` answers concrete API requests with the real filters, caps and
errors, for the local HTTP server and for tests, and — unless ``realism=False`` —
presents them with the real API's quirks (:mod:`.realism`, docs/real_api_shapes.md).

Pure standard library; deterministic for a given ``(season, size, seed)``.

    >>> from cbbd_etl.sim import simulate_season, SimulatedApi
    >>> season = simulate_season(2024, "tiny", seed=7)
    >>> season.truth.teams[1].offense          # points per 100 possessions above average
    >>> SimulatedApi(2024, "tiny").query("/games", {"season": "2024"})[0]["homePoints"]
"""
from __future__ import annotations

from .api import SimQueryError, SimulatedApi, known_paths
from .league import SIZES, SizeSpec
from .realism import RealismOptions
from .season import SimulatedSeason, simulate_season
from .truth import SeasonTruth, TeamTruth

__all__ = [
    "SIZES", "RealismOptions", "SeasonTruth", "SimQueryError", "SimulatedApi", "SimulatedSeason", "SizeSpec", "TeamTruth",
    "known_paths", "simulate_season",
]
