"""The simulator's heaviest answers rendered in worker processes forked from the local server.

Why: the local API server is one Python process. In a py-spy profile of a ``full`` season's ingest, 81 % of
the server's samples were in ``SimulatedApi.query`` and 52 % in building one game's plays, substitutions or
lineups (a replay of the game, then its records). Under the GIL that work used at most one core, and it set
the pace: the ingest ran at 150 % CPU on 2 cores while the client waited for bodies.

The workers are forked after the season is simulated, so they share it copy-on-write and need no start-up
work. Each turns ``(path, params)`` into the JSON bytes the server would send. Everything a client or a test
can observe stays in the server process: authentication, the counters, the fault decisions, withholding and
the clock. A request whose answer a fault changes (``empty``, ``extra``, withheld games) is answered by the
server itself, as before, so bodies are byte-identical with or without workers.

Only for a fixed clock: a worker holds its own copy of the source, so moving the clock of a running server
(``ApiServer.set_as_of``) is refused while workers run.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import threading
import zlib
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Mapping

from ..log import event, get_logger
from .jsoncodec import dumps as encode_json

if TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.process import BaseProcess

    from .server import QuerySource

log = get_logger("api.render_pool")

_OK, _ERROR = b"0", b"1"


class RenderError(Exception):
    """A worker's source raised: carries the HTTP ``status`` and ``message`` the server answers with."""

    def __init__(self, status: int, message: str, error: str, pid: int) -> None:
        super().__init__(error)
        self.status, self.message, self.pid = status, message, pid


def source_error(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and message for an error a source raised: its ``status`` (500 without one) and its
    ``message`` (else its text). The server answers with these, whichever process the source ran in."""
    return int(getattr(exc, "status", 500) or 500), str(getattr(exc, "message", "") or exc)


def _render(source: "QuerySource", path: str, params: dict[str, str]) -> bytes:
    """One answer as the tagged bytes a worker sends back (``0`` + JSON, or ``1`` + the error as JSON).

    The cyclic collector is off while it renders (a worker runs one request at a time): an answer is a tree of
    fresh dicts and lists with no cycles, which reference counting frees, and the collections its allocations
    triggered were ~6 % of a render's CPU on a day of plays. Whatever garbage has cycles waits for the next
    collection after the answer.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        return _OK + encode_json(source.query(path, params))
    except Exception as exc:  # noqa: BLE001 - every source error becomes an HTTP status, as in the server
        status, message = source_error(exc)
        return _ERROR + json.dumps({"status": status, "message": message, "error": repr(exc)[:300]}).encode("utf-8")
    finally:
        if was_on:
            gc.enable()


def _worker_main(source: "QuerySource", conn: Connection) -> None:
    """A worker's loop: one ``(path, params)`` in, one tagged body out, until ``None`` or the pipe closes."""
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        conn.send_bytes(_render(source, *request))


@dataclass
class _Worker:
    process: "BaseProcess"
    conn: Connection
    lock: threading.Lock


class RenderPool:
    """``workers`` forked processes answering the endpoint slugs in ``slugs`` for the server's ``source``.

    ``pinned`` slugs always go to the same worker (by slug), so an answer the source caches per slug
    (``lineups_team`` builds every team's lineups once) is built once, not once per worker. Other requests go
    to an idle worker, the one their request key hashes to first. Construct it before the server's threads
    start: forking a process that runs threads copies their locks in whatever state they are.
    """

    def __init__(self, source: "QuerySource", workers: int, slugs: frozenset[str],
                 pinned: frozenset[str] = frozenset()) -> None:
        if workers < 1:
            raise ValueError(f"a render pool needs at least one worker, got {workers}")
        self.slugs, self.pinned = frozenset(slugs), frozenset(pinned) & frozenset(slugs)
        ctx = multiprocessing.get_context("fork")
        gc.collect()
        gc.freeze()   # the season's objects move to a permanent generation: collections in a worker do not
        #               touch (and so copy) the shared pages
        self._workers: list[_Worker] = []
        for number in range(workers):
            ours, theirs = ctx.Pipe()
            process = ctx.Process(target=_worker_main, args=(source, theirs), name=f"cbbd-render-{number}",
                                  daemon=True)
            process.start()
            theirs.close()
            self._workers.append(_Worker(process, ours, threading.Lock()))
        event(log, "render workers started", workers=workers, slugs=len(self.slugs),
              pids=[w.process.pid for w in self._workers])

    def __repr__(self) -> str:
        return f"RenderPool(workers={len(self._workers)}, slugs={sorted(self.slugs)})"

    def serves(self, slug: str) -> bool:
        return slug in self.slugs

    def _pick(self, slug: str, key: str) -> _Worker | None:
        """A live worker for one request, its lock held: the pinned one, else the first idle one from the hash;
        None when none lives.

        A worker that died is skipped: its requests move to the others (a pinned slug to the next live one).
        """
        live = [w for w in self._workers if w.process.is_alive()]
        if not live:
            return None
        first = zlib.crc32((slug if slug in self.pinned else key).encode("utf-8")) % len(live)
        if slug not in self.pinned:
            for step in range(len(live)):
                worker = live[(first + step) % len(live)]
                if worker.lock.acquire(blocking=False):
                    return worker
        worker = live[first]
        worker.lock.acquire()
        return worker

    def render(self, slug: str, key: str, path: str, params: Mapping[str, str]) -> tuple[int, bytes] | None:
        """The worker's pid and the JSON bytes of ``source.query(path, params)``; a :class:`RenderError` when
        the source raised. None when no worker lives (killed, out of memory): the server then answers in its
        own process again, the same bytes, only slower."""
        worker = self._pick(slug, key)
        if worker is None:
            return None
        pid = int(worker.process.pid or 0)
        try:
            worker.conn.send((path, dict(params)))
            reply = worker.conn.recv_bytes()
        except (EOFError, OSError) as exc:
            raise RenderError(500, "Internal Server Error",
                              f"render worker {pid} is gone ({exc!r})", pid) from None
        finally:
            worker.lock.release()
        if reply[:1] == _OK:
            return pid, reply[1:]
        error = json.loads(reply[1:])
        raise RenderError(int(error["status"]), str(error["message"]), str(error["error"]), pid)

    def prefetch(self, slug: str, path: str, params: Mapping[str, str]) -> threading.Thread:
        """Render one answer in the background and drop it: a pinned slug's worker builds what its source caches
        (``lineups_team``: every team's lineups, ~10 s of a ``full`` season) while the client still asks for
        other families, instead of when the first such request arrives and the ingest waits on it.

        Nothing a client observes changes: the request is no API call (the server's counters never see it),
        and an error is only logged (the real request meets it again).
        """
        def run() -> None:
            try:
                self.render(slug, f"prefetch:{slug}", path, params)
            except RenderError as exc:
                event(log, "prefetch failed", slug=slug, status=exc.status, error=str(exc)[:200])

        thread = threading.Thread(target=run, name=f"cbbd-prefetch-{slug}", daemon=True)
        thread.start()
        return thread

    def close(self, timeout: float = 5.0) -> None:
        """Ask every worker to stop; terminate the ones that do not within ``timeout`` seconds."""
        for worker in self._workers:
            if worker.lock.acquire(timeout=timeout):   # a request in flight finishes first
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    pass
                finally:
                    worker.lock.release()
        for worker in self._workers:
            worker.process.join(timeout)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout)
            worker.conn.close()
        self._workers = []

