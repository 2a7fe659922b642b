"""A local CBBD-compatible HTTP API: any source's ``.query`` on the real paths, with faults on demand.

Why a real HTTP server rather than mocking ``requests``: the client's
behaviour under rate limits, 5xx, timeouts and truncated bodies is the
thing under test, and only real sockets produce real truncation, real
timeouts and real connection reuse. The same server powers ``make demo``
(``cbbd-etl serve-sim``), so "the demo works" means "ingestion works".

Pieces:

* :class:`ApiServer` – a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0 = a
  free port) serving ``source.query(path, params)`` as JSON, checking
  ``Authorization: Bearer <key>`` (401 otherwise). Any object with
  ``query(path: str, params: dict[str, str]) -> list | dict`` is a source;
  an exception with a ``status`` attribute (``SimQueryError``) becomes that
  HTTP status with ``{"message": ...}``.
* :class:`FaultPlan` – deterministic faults chosen by a seeded hash of
  (request, how many times this request was seen): 429 + Retry-After,
  500/503, slow responses past the client timeout, truncated bodies, empty
  arrays, unknown extra fields. Including the attempt number in the hash
  means a retry meets a fresh draw, exactly like a flaky real service,
  while the whole run stays reproducible.
* ``withhold(name, fraction)`` / ``release()`` – hide a deterministic
  fraction of game ids from an endpoint family in *every* scope (by date,
  game, team, ...), as the real API does when a game's data is missing;
  the gap-fill work needs that.
* :class:`ServerStats` – requests served per path, per request, per status.
* ``gzip`` – compress responses for clients that send ``Accept-Encoding:
  gzip``, as production servers and proxies do: ``"length"`` declares the
  compressed size in ``Content-Length``; ``"chunked"`` sends the compressed
  stream with ``Transfer-Encoding: chunked`` and no length (what nginx's
  ``gzip on`` does). ``"off"`` (default) never compresses. The client must
  handle all three; the length check of a compressed body is the trap.
"""
from __future__ import annotations

import gzip as gzip_codec
import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import UserError
from ..log import event, get_logger
from .endpoints import ENDPOINTS, get_endpoint, match_path
from .jsoncodec import dumps as encode_json
from .render_pool import RenderError, RenderPool, source_error

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config

log = get_logger("api.server")

FAULT_KINDS = ("429", "500", "503", "slow", "truncate", "empty", "extra")
GZIP_MODES = ("off", "chunked", "length")
CHUNK_BYTES = 4096  # chunk size of a chunked response: several chunks for any real page


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header admits gzip (``gzip``, ``x-gzip`` or ``*``, q > 0)."""
    for item in (header or "").split(","):
        coding, _, rest = item.strip().partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def check_gzip_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`GZIP_MODES`, else a :class:`UserError` naming the choices."""
    if mode not in GZIP_MODES:
        raise UserError(f"gzip mode must be one of {', '.join(GZIP_MODES)}, got {mode!r}")
    return mode


class QuerySource(Protocol):
    def query(self, path: str, params: dict[str, str]) -> list[Any] | dict[str, Any]:
        ...


def request_key(path: str, params: Mapping[str, str]) -> str:
    """``/games?endDateRange=..&season=2024``: one request's identity, independent of parameter order."""
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{path}?{query}" if query else path


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) from a hash: deterministic "randomness" for faults and withholding."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


# ---------------------------------------------------------------- withholding groups
_TABLE_ALIASES = {"plays": "silver.plays", "lineups": "silver.lineups", "substitutions": "silver.substitutions",
                  "team_game_stats": "silver.team_game_stats", "player_game_stats": "silver.player_game_stats"}


def withhold_group(name: str) -> tuple[str, frozenset[str]]:
    """(group name, endpoint slugs) for a withhold target.

    ``plays`` / ``lineups`` / ``substitutions`` → every endpoint of that
    silver table (all scopes); ``box_scores`` → the box-score family
    (``games_teams`` and ``games_players``); a slug or path template →
    every endpoint sharing its silver table (``plays_date`` hides the same
    games from ``plays_game``, ``plays_team``, ...).
    """
    if name in _TABLE_ALIASES:
        table = _TABLE_ALIASES[name]
        return name, frozenset(e.slug for e in ENDPOINTS if e.silver_table == table)
    families = {e.family for e in ENDPOINTS if e.family}
    if name in families and name not in _TABLE_ALIASES:
        return name, frozenset(e.slug for e in ENDPOINTS if e.family == name)
    endpoint = get_endpoint(name)
    return endpoint.silver_table.split(".", 1)[1], frozenset(
        e.slug for e in ENDPOINTS if e.silver_table == endpoint.silver_table)


# ---------------------------------------------------------------- faults
@dataclass
class FaultPlan:
    """Which requests fail, and how; deterministic for a seed.

    Rates are probabilities per *attempt*. ``max_faults_per_request`` caps
    how many faults one request (path + parameters) receives, which makes
    "every request eventually succeeds" a guarantee rather than a likelihood
    when a test needs it. ``only`` limits faults to some endpoint slugs.
    """

    seed: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_slow: float = 0.0
    rate_truncate: float = 0.0
    rate_empty: float = 0.0
    rate_extra: float = 0.0
    retry_after: float = 1.0
    slow_seconds: float = 5.0
    max_faults_per_request: int | None = None
    only: frozenset[str] | None = None
    _seen: Counter = field(default_factory=Counter, repr=False)
    _faulted: Counter = field(default_factory=Counter, repr=False)
    _withheld: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def parse(cls, spec: str | None) -> "FaultPlan":
        """``"429=0.1,5xx=0.1,truncate=0.01,seed=3,retry_after=0"`` → a plan (``5xx`` splits evenly into 500/503)."""
        plan = cls()
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            try:
                number = float(value)
            except ValueError:
                raise UserError(f"fault spec {part!r}: expected name=number") from None
            if not sep:
                raise UserError(f"fault spec {part!r}: expected name=number")
            if name == "5xx":
                plan.rate_500 += number / 2
                plan.rate_503 += number / 2
            elif name in FAULT_KINDS:
                setattr(plan, f"rate_{name}", number)
            elif name in ("seed", "max_faults_per_request", "max_per_request"):
                if name == "seed":
                    plan.seed = int(number)
                else:
                    plan.max_faults_per_request = int(number)
            elif name in ("retry_after", "slow_seconds"):
                setattr(plan, name, number)
            else:
                raise UserError(f"fault spec {part!r}: unknown fault; known: {', '.join(FAULT_KINDS)}, 5xx, "
                                "seed, retry_after, slow_seconds, max_per_request")
        if plan.total_rate > 1.0:
            raise UserError(f"fault spec {spec!r}: rates add up to more than 1")
        return plan

    @property
    def total_rate(self) -> float:
        return sum(getattr(self, f"rate_{k}") for k in FAULT_KINDS)

    def decide(self, slug: str, key: str) -> str | None:
        """The fault for this attempt at request ``key`` (or None); counts the attempt."""
        with self._lock:
            nth = self._seen[key]
            self._seen[key] += 1
            if self.only is not None and slug not in self.only:
                return None
            if self.max_faults_per_request is not None and self._faulted[key] >= self.max_faults_per_request:
                return None
            u = _unit(self.seed, key, nth)
            edge = 0.0
            for kind in FAULT_KINDS:
                edge += getattr(self, f"rate_{kind}")
                if u < edge:
                    self._faulted[key] += 1
                    return kind
            return None

    # ------------------------------------------------------------ withholding
    def withhold(self, name: str, fraction: float) -> frozenset[str]:
        """Hide ``fraction`` of game ids from the group ``name`` in every scope; returns the group's slugs."""
        if not 0.0 <= fraction <= 1.0:
            raise UserError(f"withhold fraction must be within 0..1, got {fraction}")
        group, slugs = withhold_group(name)
        with self._lock:
            self._withheld[group] = (slugs, float(fraction))
        return slugs

    def release(self, name: str | None = None) -> None:
        """Serve withheld data again (one group, or all)."""
        with self._lock:
            if name is None:
                self._withheld.clear()
            else:
                self._withheld.pop(withhold_group(name)[0], None)

    def is_withheld(self, slug: str, game_id: object) -> bool:
        """Whether ``game_id``'s records are currently hidden from endpoint ``slug``."""
        with self._lock:
            groups = list(self._withheld.items())
        return any(slug in slugs and _unit(self.seed, "withhold", group, game_id) < fraction
                   for group, (slugs, fraction) in groups)

    def withheld_ids(self, slug: str, game_ids: Iterable[object]) -> set[object]:
        """The subset of ``game_ids`` hidden from ``slug`` (for tests and the gap-fill audit's truth)."""
        return {g for g in game_ids if self.is_withheld(slug, g)}

    def withholds(self, slug: str) -> bool:
        """Whether some game ids are hidden from ``slug`` now (its answers then depend on this plan)."""
        with self._lock:
            return any(slug in slugs for slugs, _ in self._withheld.values())

    def apply_withholding(self, slug: str, data: Any, path_params: Mapping[str, str]) -> Any:
        if not self.withholds(slug):
            return data
        if "gameId" in path_params and self.is_withheld(slug, _as_int(path_params["gameId"])):
            return [] if isinstance(data, list) else data
        if isinstance(data, list):
            return [r for r in data if not (isinstance(r, dict) and "gameId" in r
                                            and self.is_withheld(slug, r["gameId"]))]
        return data


def _as_int(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- stats
class ServerStats:
    """Counters of what the server served; thread-safe. ``snapshot()`` gives plain dicts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_path: Counter = Counter()
        self.by_endpoint: Counter = Counter()
        self.by_request: Counter = Counter()
        self.ok_by_request: Counter = Counter()
        self.by_status: Counter = Counter()
        self.faults: Counter = Counter()
        self.encodings: Counter = Counter()  # responses sent per gzip mode: "off", "chunked", "length"
        self.rendered_by: Counter = Counter()  # answers rendered per worker pid (api/render_pool.py)

    def record_render(self, pid: int) -> None:
        with self._lock:
            self.rendered_by[pid] += 1

    def record_encoding(self, mode: str) -> None:
        with self._lock:
            self.encodings[mode] += 1

    def record(self, path: str, template: str | None, key: str, status: int, fault: str | None) -> None:
        with self._lock:
            self.total += 1
            self.by_path[path] += 1
            self.by_endpoint[template or "?"] += 1
            self.by_request[key] += 1
            self.by_status[status] += 1
            if status == 200 and fault not in ("truncate", "slow"):
                self.ok_by_request[key] += 1
            if fault:
                self.faults[fault] += 1

    def count(self, path: str, params: Mapping[str, str] | None = None) -> int:
        with self._lock:
            return self.by_request[request_key(path, dict(params or {}))]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self.total, "by_path": dict(self.by_path), "by_endpoint": dict(self.by_endpoint),
                    "by_request": dict(self.by_request), "ok_by_request": dict(self.ok_by_request),
                    "by_status": {str(k): v for k, v in self.by_status.items()}, "faults": dict(self.faults),
                    "encodings": dict(self.encodings),
                    "rendered_by": {str(k): v for k, v in self.rendered_by.items()}}


# ---------------------------------------------------------------- the server
class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # one line per request on stderr would drown the run's own logs

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        api: ApiServer = self.server.api
        parts = urlsplit(self.path)
        path = unquote(parts.path) if parts.path != "/" else "/"
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        key = request_key(path, params)
        matched = match_path(path)
        template = matched[0].path if matched else None
        if not api.authorized(self.headers.get("Authorization")):
            api.stats.record(path, template, key, 401, None)
            return self._send(401, {"message": "Unauthorized"})
        if matched is None:
            api.stats.record(path, template, key, 404, None)
            return self._send(404, {"message": f"Cannot GET {path}"})
        endpoint, path_params = matched
        fault = api.faults.decide(endpoint.slug, key)
        if fault in ("429", "500", "503"):
            status = int(fault)
            api.stats.record(path, template, key, status, fault)
            if status == 429:
                return self._send(429, {"message": "Too Many Requests"},
                                  {"Retry-After": f"{api.faults.retry_after:g}"})
            return self._send(status, {"message": "Internal Server Error" if status == 500
                                       else "Service Unavailable"})
        try:
            body = api.render(endpoint.slug, key, path, params, path_params, fault)
        except Exception as exc:  # noqa: BLE001 - every source error becomes an HTTP status
            status, message = source_error(exc)
            if status >= 500:
                message = "Internal Server Error"
                event(log, "source error", level=40, path=path, error=repr(exc)[:300])
            api.stats.record(path, template, key, status, None)
            return self._send(status, {"message": message})
        api.stats.record(path, template, key, 200, fault)
        if fault == "slow":
            time.sleep(api.faults.slow_seconds)
        if fault == "truncate":
            return self._send_truncated(body, _unit(api.faults.seed, "truncate-style", key) < 0.5)
        self._send_bytes(200, body)

    def _send(self, status: int, doc: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(doc).encode("utf-8"), headers)

    def _gzip_mode(self) -> str:
        """The server's gzip mode for this request: ``off`` unless the client accepts gzip."""
        mode = self.server.api.gzip
        return mode if mode != "off" and accepts_gzip(self.headers.get("Accept-Encoding")) else "off"

    def _send_head(self, status: int, mode: str, length: int | None,
                   headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if self.server.api.gzip != "off":
            self.send_header("Vary", "Accept-Encoding")
        if mode != "off":
            self.send_header("Content-Encoding", "gzip")
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def _write_chunks(self, payload: bytes, terminate: bool = True) -> None:
        for start in range(0, len(payload), CHUNK_BYTES):
            piece = payload[start:start + CHUNK_BYTES]
            self.wfile.write(f"{len(piece):X}\r\n".encode("ascii") + piece + b"\r\n")
        if terminate:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_bytes(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        mode = self._gzip_mode()
        payload = gzip_codec.compress(body, compresslevel=6, mtime=0) if mode != "off" else body
        self.server.api.stats.record_encoding(mode)
        try:
            self._send_head(status, mode, len(payload), headers)
            if mode == "chunked":
                self._write_chunks(payload)
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (timeout): nothing to do

    def _send_truncated(self, body: bytes, honest_length: bool) -> None:
        """Half a body: either a short body behind the full Content-Length (then the connection drops),
        or a short body with a matching Content-Length (a proxy that cut it): invalid JSON either way.

        With gzip the *compressed* stream is cut; in chunked mode the dishonest
        style drops the connection before the last chunk and the honest one
        terminates the chunked body properly after the cut."""
        mode = self._gzip_mode()
        payload = gzip_codec.compress(body, compresslevel=6, mtime=0) if mode != "off" else body
        cut = payload[: max(1, len(payload) // 2)] if len(payload) > 2 else b"[{"
        try:
            self._send_head(200, mode, len(cut) if honest_length else len(payload))
            if mode == "chunked":
                self._write_chunks(cut, terminate=honest_length)
            else:
                self.wfile.write(cut)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass
        self.close_connection = True


def _with_extra_fields(data: Any, u: float) -> Any:
    extra = {"simUnknownField": f"drift-{int(u * 1000)}", "simUnknownNumber": round(u, 6)}
    if isinstance(data, list):
        return [{**r, **extra} if isinstance(r, dict) else r for r in data]
    if isinstance(data, dict):
        return {**data, **extra}
    return data


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    api: "ApiServer"


class ApiServer:
    """The CBBD-compatible server around ``source``; ``start()`` runs it on a background thread."""

    def __init__(self, source: QuerySource, api_key: str, faults: FaultPlan | None = None,
                 host: str = "127.0.0.1", port: int = 0, gzip: str = "off",
                 render_pool: RenderPool | None = None) -> None:
        if not api_key:
            raise UserError("the local API server needs a key to check")
        self.render_pool = render_pool
        self.gzip = check_gzip_mode(gzip)
        self.source = source
        self._key = api_key
        self.faults = faults or FaultPlan()
        self.stats = ServerStats()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.api = self
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"ApiServer(url={self.url!r}, key=***)"

    @property
    def api_key(self) -> str:
        return self._key

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def authorized(self, header: str | None) -> bool:
        import hmac

        if not header or not header.lower().startswith("bearer "):
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self._key.encode())

    def render(self, slug: str, key: str, path: str, params: Mapping[str, str],
               path_params: Mapping[str, str], fault: str | None) -> bytes:
        """The JSON body for one request (``fault`` already decided): from a render worker when one serves
        ``slug`` and no fault or withholding changes the answer, else from ``source`` in this process."""
        pool = self.render_pool
        if pool is not None and pool.serves(slug) and fault not in ("empty", "extra") \
                and not self.faults.withholds(slug):
            try:
                rendered = pool.render(slug, key, path, params)
            except RenderError as exc:
                self.stats.record_render(exc.pid)
                raise
            if rendered is not None:
                self.stats.record_render(rendered[0])
                return rendered[1]
        data = self.faults.apply_withholding(slug, self.source.query(path, dict(params)), path_params)
        if fault == "empty" and isinstance(data, list):
            data = []
        elif fault == "extra":
            data = _with_extra_fields(data, _unit(self.faults.seed, key))
        return encode_json(data)

    def set_as_of(self, as_of: object) -> None:
        """Move the source's clock (a simulator's ``set_as_of``): later requests see the season at ``as_of``."""
        if self.render_pool is not None:
            raise UserError("this server renders in worker processes, which keep the clock it started with; "
                            "start it without render workers to move the clock")
        setter = getattr(self.source, "set_as_of", None)
        if setter is None:
            raise UserError(f"{type(self.source).__name__} has no clock to set")
        setter(as_of)
        event(log, "clock moved", as_of=str(as_of))

    def start(self) -> "ApiServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="cbbd-api-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        if self.render_pool is not None:
            self.render_pool.close()

    def __enter__(self) -> "ApiServer":
        return self if self._thread else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_sim(season: int = 2024, size: str = "demo", seed: int = 7, api_key: str | None = None,
              faults: FaultPlan | str | None = None, host: str = "127.0.0.1", port: int = 0,
              seasons: list[int] | None = None, gzip: str = "off", realism: bool | object = True,
              as_of: object = None, render_workers: int = 0) -> ApiServer:
    """Start the simulator behind a local server; use as ``with serve_sim(...) as srv:`` or call ``.stop()``.

    ``api_key`` defaults to a random token (``srv.api_key``). ``faults`` is a
    :class:`FaultPlan` or a spec string for :meth:`FaultPlan.parse`. ``gzip`` is one of
    :data:`GZIP_MODES` (``off``, ``chunked``, ``length``; see the module doc). ``as_of`` (a date or
    date-time) serves the season in progress at that moment (``sim/timeline.py``); move the clock of the
    running server with :meth:`ApiServer.set_as_of`.

    ``render_workers`` > 0 simulates the seasons now and forks that many processes that render plays,
    substitutions and lineups (``api/render_pool.py``); the clock then stays at ``as_of``. Only where
    forking is safe: a process with no JVM and no other threads (``SimServerProcess``'s child).
    """
    import secrets

    from ..sim import SimulatedApi

    # realism: the real API's presentation quirks (sim/realism.py); False serves the clean records
    source = SimulatedApi(season=season, size=size, seed=seed, seasons=seasons,
                          realism=realism, as_of=as_of)  # type: ignore[arg-type]
    plan = FaultPlan.parse(faults) if isinstance(faults, str) or faults is None else faults
    pool = _sim_render_pool(source, render_workers) if render_workers > 0 else None
    server = ApiServer(source, api_key or f"sim-{secrets.token_urlsafe(18)}", plan, host=host, port=port,
                       gzip=check_gzip_mode(gzip), render_pool=pool)
    return server.start()


def _sim_render_pool(source: Any, workers: int) -> RenderPool:
    """Workers for the simulator's per-game families, forked once every served season is simulated.

    The families rebuilt on every call (``sim.catalog.UNCACHED``: plays, substitutions, lineups by game)
    spread over the workers; ``lineups_team``, which the simulator builds once for all teams and caches,
    stays with one worker so it is built once.
    """
    from ..sim.catalog import UNCACHED

    for number in source.seasons:
        season = source.season_data(number)
        _ = season.games_by_team, season.player_by_id   # built once here rather than once per worker
        season.pack_all_replays()                          # replayed once here, not in every worker
    pool = RenderPool(source, workers, slugs=UNCACHED | {"lineups_team"}, pinned=frozenset({"lineups_team"}))
    # The pinned worker builds every team's lineups while other families are asked for (only a fixed, unset
    # clock caches them: as of a date each request builds its own team's).
    for number in source.seasons if source.as_of is None else ():
        team = source.season_data(number).league.teams[0].school
        pool.prefetch("lineups_team", "/lineups/team", {"season": str(number), "team": team})
    return pool


# ---------------------------------------------------------------- the simulator in its own process
def sim_server_child() -> int:
    """Child side of :class:`SimServerProcess` (a line protocol on stdin/stdout).

    Reads the :func:`serve_sim` arguments as one JSON line (the key travels
    here, never in the command line), simulates the season, prints the URL,
    then answers each ``stats`` line with the counters as one JSON line;
    ``stop`` or end of input stops the server.
    """
    import sys

    kwargs = json.loads(sys.stdin.readline())
    server = serve_sim(**kwargs)
    try:
        warm = getattr(server.source, "season_data", None)
        if warm is not None:            # simulate now, while the parent starts its JVM
            warm(kwargs.get("season", 2024))
        print(server.url, flush=True)
        for line in sys.stdin:
            if line.strip() != "stats":
                break
            print(json.dumps(server.stats.snapshot()), flush=True)
    finally:
        server.stop()
    return 0


class _RemoteStats:
    """``ServerStats``-like view of a child's counters (``snapshot()`` asks the child)."""

    def __init__(self, owner: "SimServerProcess") -> None:
        self._owner = owner

    def snapshot(self) -> dict[str, Any]:
        return json.loads(self._owner._ask("stats"))


def local_server_api(cfg: "Config") -> dict[str, Any]:
    """Client settings for asking a local simulator instead of the real API (``make demo``, ``make bench``).

    As fast as it answers: the real API's rate limit stays the default. A longer read timeout: the simulator
    renders a busy day of plays (30-45 MB of JSON in a full season) in Python processes that share two
    cores with the JVM and the client, and at 30 s such days timed out and were asked again (11 of 137
    ``/plays/date`` calls of a full season; each retry is a charged call and renders the day once more).
    """
    return {"api.requests_per_second": max(cfg.api.requests_per_second, 200.0),
            "api.max_concurrency": max(cfg.api.max_concurrency, 8),
            "api.timeout_seconds": max(cfg.api.timeout_seconds, 120.0)}


class SimServerProcess:
    """:func:`serve_sim` in a separate process: ``url``, ``api_key``, ``stats.snapshot()`` and ``stop()``.

    Why: the simulator and the server's JSON encoding are pure Python, and so
    is the client's side of ingestion (decoding, counting, compressing,
    writing). In one process the two share one core under the GIL; here each
    gets its own. The child also forks ``render_workers`` processes (default:
    one per core) for plays, substitutions and lineups (``api/render_pool.py``),
    so the simulator is not held to one core either. Fault rates are offered;
    steering (withholding, the clock) is not: tests that steer the server use
    :func:`serve_sim` in-process. The constructor does not wait:
    the child simulates the season while the caller goes on (e.g. starts
    its JVM); the first use of ``url`` waits until it serves.
    """

    def __init__(self, startup_timeout: float = 120.0, **kwargs: Any) -> None:
        import os
        import secrets
        import subprocess
        import sys

        kwargs.setdefault("api_key", f"sim-{secrets.token_urlsafe(18)}")
        kwargs.setdefault("render_workers", os.cpu_count() or 1)
        self._key = str(kwargs["api_key"])
        self._timeout = startup_timeout
        self._url: str | None = None
        self._lock = threading.Lock()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from cbbd_etl.api.server import sim_server_child; "
                                   "sys.exit(sim_server_child())"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(kwargs, default=str) + "\n")
        self._proc.stdin.flush()
        self.stats = _RemoteStats(self)

    def __repr__(self) -> str:
        return f"SimServerProcess(url={self._url!r}, key=***)"

    @property
    def api_key(self) -> str:
        return self._key

    @property
    def pid(self) -> int:
        return int(self._proc.pid)

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._read_line("start")
        return self._url

    def _read_line(self, what: str) -> str:
        import select

        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], self._timeout)
        line = self._proc.stdout.readline() if ready else ""
        if not line:
            code = self._proc.poll()
            self.stop()
            raise UserError(f"the simulator server process did not answer ({what}; "
                            f"{'exit code ' + str(code) if code is not None else f'{self._timeout:.0f}s timeout'})")
        return line.strip()

    def _ask(self, msg: str) -> str:
        _ = self.url
        with self._lock:
            assert self._proc.stdin is not None
            self._proc.stdin.write(msg + "\n")
            self._proc.stdin.flush()
            return self._read_line(msg)

    def stop(self) -> None:
        import subprocess

        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write("stop\n")
                self._proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()

    def __enter__(self) -> "SimServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
