"""HTTP client for the CBBD API: rate limited, retrying, budgeted, and careful with the key.

Why these pieces, each of which exists because of a way a backfill dies:

* **Token bucket + semaphore** (``api.requests_per_second``, ``api.max_concurrency``):
  the API throttles bursts; a shared bucket keeps every worker thread
  together under the rate, and a 429's ``Retry-After`` pauses the whole
  bucket, not only the thread that got it.
* **Bounded retries with full-jitter exponential backoff** on 5xx, timeouts,
  connection errors and truncated or invalid JSON: transient faults are the
  norm on long runs. After ``api.max_attempts`` the request becomes a
  *dead letter* (a :class:`FetchResult` with ``ok=False`` and a reason)
  instead of an exception, so one bad request never kills a 900-call run.
* **Wire-byte length check**: ``Content-Length`` is compared with the bytes
  read off the wire (compressed when the server gzips), never with the
  decoded body, so gzip with a declared length passes and a cut body is
  still retried as ``truncated``.
* **Monthly call budget** (``api.monthly_call_budget``): users pay per call.
  Every HTTP attempt reserves one call from a counter persisted in the
  bronze root (``_state/calls-YYYY-MM.json``) *before* it is sent, so a run
  stops cleanly at the budget, never one call past it, even across crashes.
* **The key**: resolved from the environment, Secrets Manager or SSM,
  registered with the log masker, sent only as a header, and held in a
  :class:`Secret` whose ``repr`` is ``***``, so it cannot reach logs,
  manifests, errors, bronze or a ``repr``.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from ..errors import UserError
from ..log import event, get_logger, mask, register_secret
from . import jsoncodec

if TYPE_CHECKING:  # pragma: no cover
    from ..bronze.store import BronzeStore
    from ..config import Config

log = get_logger("api.client")

USER_AGENT = "cbbd-etl/0.1 (+https://github.com/; bronze ingestion)"
MAX_RETRY_AFTER_SECONDS = 300.0


class Secret:
    """A string that never shows itself: ``repr``/``str`` give ``***``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class BudgetExhausted(Exception):
    """The monthly call budget (or a run's ``--max-calls``) would be exceeded by the next call."""

    def __init__(self, message: str, kind: str = "budget_exhausted") -> None:
        super().__init__(message)
        self.kind = kind


class AuthError(UserError):
    """The API rejected the key (401/403): every further call would fail too, so the run stops."""


# ---------------------------------------------------------------- key resolution
def resolve_api_key(cfg: "Config", explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The API key: ``explicit`` → env ``cfg.api.key_env`` → Secrets Manager → SSM; registered for masking.

    A Secrets Manager secret may hold the bare key or a JSON object with one
    of ``api_key``, ``CBBD_API_KEY`` or ``key``. Errors name where the key
    was looked for, never any value.
    """
    env = os.environ if env is None else env
    key = explicit or env.get(cfg.api.key_env) or ""
    if not key and cfg.api.key_secret_name:
        key = _from_secrets_manager(cfg.api.key_secret_name, cfg.aws.region)
    if not key and cfg.api.key_ssm_parameter:
        key = _from_ssm(cfg.api.key_ssm_parameter, cfg.aws.region)
    key = key.strip()
    if not key:
        where = [f"environment variable {cfg.api.key_env}"]
        if cfg.api.key_secret_name:
            where.append(f"Secrets Manager secret {cfg.api.key_secret_name!r}")
        if cfg.api.key_ssm_parameter:
            where.append(f"SSM parameter {cfg.api.key_ssm_parameter!r}")
        raise UserError("no CBBD API key found (looked in " + ", ".join(where) + ")")
    register_secret(key)
    return key


def _from_secrets_manager(name: str, region: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=name)
    except (ClientError, BotoCoreError) as exc:
        raise UserError(f"cannot read Secrets Manager secret {name!r}: {_aws_reason(exc)}") from None
    text = value.get("SecretString") or (value.get("SecretBinary") or b"").decode("utf-8")
    text = text.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            raise UserError(f"Secrets Manager secret {name!r} looks like JSON but does not parse") from None
        for k in ("api_key", "CBBD_API_KEY", "key"):
            if isinstance(doc.get(k), str) and doc[k]:
                register_secret(doc[k])
                return str(doc[k])
        raise UserError(f"Secrets Manager secret {name!r} has none of the fields api_key, CBBD_API_KEY, key")
    register_secret(text)
    return text


def _from_ssm(name: str, region: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = boto3.client("ssm", region_name=region).get_parameter(Name=name, WithDecryption=True)
    except (ClientError, BotoCoreError) as exc:
        raise UserError(f"cannot read SSM parameter {name!r}: {_aws_reason(exc)}") from None
    text = str(value["Parameter"]["Value"]).strip()
    register_secret(text)
    return text


def _aws_reason(exc: Exception) -> str:
    err = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
    return str(err.get("Code") or type(exc).__name__)


# ---------------------------------------------------------------- rate limit
class TokenBucket:
    """Thread-safe token bucket: ``rate`` tokens a second, at most ``capacity`` banked.

    ``pause(seconds)`` empties the bucket and blocks every caller until the
    pause ends: the right reaction to a 429, which is about the client as a
    whole, not about one thread.
    """

    def __init__(self, rate: float, capacity: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self._clock = clock
        self._sleep = sleep
        self._tokens = 1.0  # start nearly empty: no burst of `capacity` calls at start-up
        self._last = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if now < self._paused_until:
                    wait = self._paused_until - now
                else:
                    self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                    self._last = now
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        return
                    wait = (1.0 - self._tokens) / self.rate
            self._sleep(min(wait, 1.0))

    def pause(self, seconds: float) -> None:
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if until > self._paused_until:
                self._paused_until = until
                self._tokens = 0.0
                self._last = until


# ---------------------------------------------------------------- budget
def origin_of(base_url: str) -> str:
    """``scheme://host:port`` of a base URL: the unit the budget is counted per."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


class CallBudget:
    """Calls per calendar month (UTC) per API origin, persisted in the bronze root before each call.

    Why in the bronze root: it is the one place every run (laptop, Glue,
    resumed after a crash) already shares, local or S3, with no extra
    service. Counting per origin keeps a local simulator's calls (a fresh
    port per server) from eating the real API's budget. The counter is
    written *before* the call is sent, so a crash can only over-count.
    Concurrent runs in separate processes are not coordinated (documented).
    """

    def __init__(self, store: "BronzeStore", origin: str, limit: int,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> None:
        self.store = store
        self.origin = origin
        self.limit = int(limit)
        self._now = now
        self._lock = threading.Lock()
        self.month = now().strftime("%Y-%m")
        self.used = self._load().get("origins", {}).get(origin, 0)

    @property
    def key(self) -> str:
        return f"_state/calls-{self.month}.json"

    def _load(self) -> dict[str, Any]:
        try:
            doc = self.store.get_json(self.key)
        except (KeyError, OSError, ValueError):
            return {"month": self.month, "origins": {}}
        return doc if isinstance(doc, dict) else {"month": self.month, "origins": {}}

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def reserve(self) -> None:
        """Count one call or raise :class:`BudgetExhausted` if it would exceed the budget."""
        with self._lock:
            month = self._now().strftime("%Y-%m")
            if month != self.month:  # a run crossing midnight at the month's end
                self.month = month
                self.used = self._load().get("origins", {}).get(self.origin, 0)
            if self.used + 1 > self.limit:
                raise BudgetExhausted(
                    f"monthly call budget exhausted: {self.used} of {self.limit} calls to {self.origin} "
                    f"used in {self.month} (api.monthly_call_budget); the run stopped before exceeding it "
                    f"and resumes where it stopped")
            doc = self._load()
            origins = doc.setdefault("origins", {})
            origins[self.origin] = max(int(origins.get(self.origin, 0)), self.used) + 1
            self.used = origins[self.origin]
            doc.update(month=self.month, limit=self.limit)
            self.store.put_json(self.key, doc)

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "month": self.month, "used": self.used, "limit": self.limit}


# ---------------------------------------------------------------- results
@dataclass
class FetchResult:
    """The outcome of one logical request (after all its attempts)."""

    path: str
    params: dict[str, str]
    status: int | None = None
    body: bytes | None = None
    data: Any = None
    # with get(..., digest=True): the body's kind, record count and fields instead of ``data`` (left None)
    digest: jsoncodec.Digest | None = None
    attempts: int = 0
    reason: str | None = None
    elapsed: float = 0.0
    history: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.reason is None

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.status = status


# ---------------------------------------------------------------- the client
class CbbdClient:
    """GET requests against the CBBD API (or the local server) with every safety the issue asks for.

    Thread-safe: one instance is shared by all ingestion workers.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        requests_per_second: float = 3.0,
        max_concurrency: int = 3,
        timeout_seconds: float = 30.0,
        max_attempts: int = 6,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        budget: CallBudget | None = None,
        max_calls: int | None = None,
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise UserError(f"API base URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._key = Secret(api_key)
        register_secret(api_key)
        self.timeout = float(timeout_seconds)
        self.max_attempts = int(max_attempts)
        self.backoff_base = float(backoff_base_seconds)
        self.backoff_max = float(backoff_max_seconds)
        self.budget = budget
        self.max_calls = max_calls
        self.bucket = TokenBucket(requests_per_second)
        self._slots = threading.BoundedSemaphore(max(1, int(max_concurrency)))
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.calls = 0
        self.retries = 0
        self.statuses: dict[str, int] = {}
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, int(max_concurrency)), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    @classmethod
    def from_config(cls, cfg: "Config", *, base_url: str | None = None, api_key: str | None = None,
                    budget: CallBudget | None = None, max_calls: int | None = None,
                    seed: int | None = None) -> "CbbdClient":
        a = cfg.api
        return cls(base_url or a.base_url, resolve_api_key(cfg, api_key),
                   requests_per_second=a.requests_per_second, max_concurrency=a.max_concurrency,
                   timeout_seconds=a.timeout_seconds, max_attempts=a.max_attempts,
                   backoff_base_seconds=a.backoff_base_seconds, backoff_max_seconds=a.backoff_max_seconds,
                   budget=budget, max_calls=max_calls, seed=seed)

    def __repr__(self) -> str:
        return f"CbbdClient(base_url={self.base_url!r}, key=***)"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "CbbdClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ accounting
    def _reserve(self) -> None:
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetExhausted(f"--max-calls {self.max_calls} reached", kind="max_calls")
            if self.budget is not None:
                self.budget.reserve()
            self.calls += 1

    def _count(self, outcome: str, retried: bool) -> None:
        with self._lock:
            self.statuses[outcome] = self.statuses.get(outcome, 0) + 1
            if retried:
                self.retries += 1

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform(0, min(max, base * 2**(attempt-1)))."""
        with self._lock:
            return self._rng.uniform(0.0, min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1))))

    # ------------------------------------------------------------ requests
    def get(self, path: str, params: Mapping[str, str] | None = None, expect: str = "array",
            digest: bool = False) -> FetchResult:
        """GET ``path`` with ``params``; retries transient faults; never raises for a failed request.

        Raises only :class:`BudgetExhausted` (stop the run cleanly) and
        :class:`AuthError` (the key is wrong; every call would fail).
        ``expect`` is ``"array"`` or ``"object"``: a 200 whose JSON has the
        wrong shape is treated as a damaged response and retried.
        ``digest``: the caller stores the body and needs only its record count and fields, so the result
        carries a :class:`~cbbd_etl.api.jsoncodec.Digest` (the body still validated in full) and no ``data``.
        """
        params = {str(k): str(v) for k, v in (params or {}).items()}
        result = FetchResult(path=path, params=params)
        started = time.monotonic()
        url = self.base_url + path
        for attempt in range(1, self.max_attempts + 1):
            self._reserve()
            result.attempts = attempt
            try:
                status, body, data = self._attempt(url, params, expect, digest)
            except _Retry as retry:
                result.status = retry.status
                result.reason = retry.reason
                result.history.append(retry.reason)
                last = attempt == self.max_attempts
                self._count(retry.reason.split(":")[0], retried=not last)
                if last:
                    break
                wait = retry.wait if retry.wait is not None else self.backoff(attempt)
                event(log, "retrying request", logging.DEBUG, path=path, params=params, attempt=attempt,
                      reason=retry.reason, wait_s=round(wait, 3))
                self._sleep(wait)
                continue
            except _Final as final:
                result.status, result.reason = final.status, final.reason
                result.history.append(final.reason)
                self._count(f"HTTP {final.status}", retried=False)
                break
            if isinstance(data, jsoncodec.Digest):
                result.digest = data
            else:
                result.data = data
            result.status, result.body, result.reason = status, body, None
            self._count("HTTP 200", retried=False)
            break
        result.elapsed = time.monotonic() - started
        if result.reason:
            result.reason = mask(result.reason)
        return result

    def _attempt(self, url: str, params: dict[str, str], expect: str, digest: bool = False) -> tuple[int, bytes, Any]:
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        with self._slots:
            self.bucket.acquire()
            try:
                resp = self.session.get(url, params=params, headers=headers, stream=True,
                                        timeout=(min(self.timeout, 10.0), self.timeout))
            except requests.Timeout:
                raise _Retry(f"timeout: no complete response within {self.timeout:g}s") from None
            except requests.ConnectionError as exc:
                raise _Retry(f"connection: {type(exc).__name__} (connection refused or lost)") from None
            except requests.RequestException as exc:
                raise _Final(None, f"request error: {type(exc).__name__}") from None
            try:
                body = _read_body(resp, self.timeout)
            finally:
                resp.close()
        status = resp.status_code
        if status == 429:
            wait = _retry_after(resp.headers.get("Retry-After"))
            if wait is None:
                wait = self.backoff(1)
            wait = min(wait, MAX_RETRY_AFTER_SECONDS)
            self.bucket.pause(wait)
            raise _Retry(f"HTTP 429: rate limited (Retry-After {wait:g}s)", wait=wait, status=429)
        if status in (401, 403):
            raise AuthError(f"the API rejected the key with HTTP {status} ({urlsplit(url).netloc}); "
                            "check CBBD_API_KEY or the configured secret")
        if status >= 500:
            raise _Retry(f"HTTP {status}: {_short(body)}", status=status)
        if status != 200:
            raise _Final(status, f"HTTP {status}: {_short(body)}")
        try:
            data = jsoncodec.digest(body) if digest else jsoncodec.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Retry(f"invalid JSON: {str(exc)[:80]} (truncated body?)", status=200) from None
        kind = data.kind if isinstance(data, jsoncodec.Digest) else jsoncodec.kind_of(data)
        if kind != expect:
            got = {"array": "list", "object": "dict"}.get(kind) or type(jsoncodec.loads(body)).__name__
            raise _Retry(f"unexpected JSON: got {got}, expected {expect}", status=200)
        return status, body, data


BODY_READ_CHUNK = 1 << 20


def _read_body(resp: requests.Response, timeout: float) -> bytes:
    """The decoded body of a streamed response; a body shorter than its ``Content-Length`` is a retry.

    Why wire bytes: ``Content-Length`` counts the bytes on the wire, which
    for ``Content-Encoding: gzip`` are the *compressed* bytes, never the
    decoded body's length. urllib3 counts wire bytes (``resp.raw.tell()``)
    and, with ``enforce_content_length`` (its default), raises when the
    connection ends before the declared length; both end up here as
    ``truncated: <received> of <declared> wire bytes``. A chunked body cut
    mid-stream (no length to compare) is truncated too; a gzip stream that
    does not decode is a damaged body. All of them are retried.
    """
    declared_text = resp.headers.get("Content-Length")
    declared = int(declared_text) if declared_text is not None and declared_text.isdigit() else None
    try:
        # What ``resp.content`` does, in 1 MB reads instead of its 10 kB ones: a full season's ~3 GB of bodies
        # took ~300,000 trips through urllib3's reader (~2.5x the CPU of these ~3,000, measured on a day of plays)
        body = b"".join(resp.iter_content(BODY_READ_CHUNK)) if resp.raw is not None else b""
    except requests.Timeout:
        raise _Retry(f"timeout: no complete response within {timeout:g}s") from None
    except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as exc:
        if any(isinstance(arg, ReadTimeoutError) for arg in exc.args):  # requests wraps a mid-body timeout
            raise _Retry(f"timeout: no complete response within {timeout:g}s") from None
        received = _wire_bytes(resp)
        of = f"{declared} wire bytes" if declared is not None else "a chunked body"
        raise _Retry(f"truncated: {received} of {of} received ({type(exc).__name__})",
                     status=resp.status_code) from None
    except requests.exceptions.ContentDecodingError:
        encoding = resp.headers.get("Content-Encoding", "?")
        raise _Retry(f"undecodable body: Content-Encoding {encoding} did not decode (damaged or truncated)",
                     status=resp.status_code) from None
    received = _wire_bytes(resp)
    if declared is not None and received is not None and received != declared:
        raise _Retry(f"truncated: {received} of {declared} wire bytes", status=resp.status_code)
    return body


def _wire_bytes(resp: requests.Response) -> int | None:
    """Bytes read off the wire for this response (compressed size when the body is encoded)."""
    tell = getattr(resp.raw, "tell", None)
    try:
        return int(tell()) if callable(tell) else None
    except (OSError, ValueError, TypeError):
        return None


class _Final(Exception):
    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def _short(body: bytes) -> str:
    """A short, masked, single-line excerpt of an error body."""
    try:
        doc = json.loads(body)
        text = str(doc.get("message", doc)) if isinstance(doc, dict) else str(doc)
    except (ValueError, UnicodeDecodeError):
        text = body[:200].decode("utf-8", "replace")
    return mask(" ".join(text.split()))[:200]
