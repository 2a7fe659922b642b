"""Run a real nginx (the Debian package) as an unprivileged test server on 127.0.0.1.

Why nginx: the ingestion client must work with HTTP as production servers
speak it (gzip on the fly with chunked transfer encoding, precompressed
files with a ``Content-Length``), and a server nobody here wrote is the
honest check. Everything nginx touches lives under one prefix directory
(config, pid, logs, temp paths, document root): no system file is read or
written, several instances can run side by side, and the process runs in
the foreground (``daemon off;``) as a child of the test, torn down after.

``make test`` / ``.ci/run`` install the package where apt exists
(``make nginx``); elsewhere the tests that need it skip with the reason
:func:`skip_reason` gives.
"""
from __future__ import annotations

import gzip
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlencode

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
START_TIMEOUT_SECONDS = 10.0


def nginx_binary() -> str | None:
    """The nginx executable on this machine, or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)


def build_options(binary: str) -> str:
    """``nginx -V`` output (it prints to stderr): the compiled-in modules."""
    proc = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=10)
    return proc.stderr + proc.stdout


def has_gzip_static(binary: str) -> bool:
    """Whether this nginx was built with ``ngx_http_gzip_static_module`` (Debian's nginx-light is)."""
    return "--with-http_gzip_static_module" in build_options(binary)


def skip_reason(need_gzip_static: bool = False) -> str | None:
    """Why the nginx tests cannot run here, or None when they can."""
    binary = nginx_binary()
    if binary is None:
        return ("nginx is not installed (run `make nginx` as root where apt exists: "
                "apt-get install -y nginx-light)")
    if need_gzip_static and not has_gzip_static(binary):
        return f"{binary} lacks the gzip_static module (nginx -V); install nginx-light or nginx-core"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user_line() -> str:
    """Workers run as the test's own user: as root nginx would switch them to ``nobody``, who cannot
    read a pytest tmp_path (mode 0700). Unprivileged, nginx cannot switch and the line is not needed."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(os.geteuid()).pw_name};\n"


def main_config(prefix: Path, port: int, http_body: str) -> str:
    """A complete nginx.conf: every path under ``prefix``, foreground, one worker, ``server`` body given."""
    p = prefix.as_posix()
    return f"""{_user_line()}daemon off;
master_process on;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log info;
events {{ worker_connections 128; }}
http {{
    log_format wire '$request_method $request_uri $status $body_bytes_sent '
                    '"$sent_http_content_encoding" "$sent_http_content_length"';
    access_log {p}/logs/access.log wire;
    client_body_temp_path {p}/temp/body;
    proxy_temp_path {p}/temp/proxy;
    fastcgi_temp_path {p}/temp/fastcgi;
    uwsgi_temp_path {p}/temp/uwsgi;
    scgi_temp_path {p}/temp/scgi;
    types {{ application/json json; }}
    default_type application/octet-stream;
    server_tokens off;
    {http_body}
}}
"""


def gzip_proxy_http(port: int, upstream: str) -> str:
    """``gzip on`` in front of ``upstream``: nginx compresses the proxied JSON itself, so the answer is
    chunked with no Content-Length. The upstream is asked for identity (nginx does the compressing)."""
    return f"""server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Accept-Encoding "";
            proxy_buffering on;
            gzip on;
            gzip_proxied any;
            gzip_types application/json;
            gzip_min_length 1;
            gzip_vary on;
        }}
    }}"""


def gzip_static_http(port: int, root: Path) -> str:
    """Precompressed files with ``gzip_static on``: ``/games?season=2024&x=y`` is the file
    ``{root}/games/season=2024&x=y.json.gz`` (the raw query string becomes the file name through a
    ``map`` and a ``rewrite``), sent with ``Content-Encoding: gzip`` and its ``Content-Length``.
    Only the ``.gz`` exists, so a client that refuses gzip gets 404, as nginx does. A request without
    a bearer token gets 401 like the API."""
    return f"""map $args $query_file {{
        ""      "_";
        default $args;
    }}
    server {{
        listen 127.0.0.1:{port};
        root {root.as_posix()};
        location / {{
            if ($http_authorization !~ "^Bearer .") {{
                return 401 '{{"message":"Unauthorized"}}';
            }}
            rewrite ^(.*)$ $1/$query_file.json break;
            gzip_static on;
            default_type application/json;
        }}
    }}"""


def static_file_name(path: str, params: Mapping[str, str]) -> str:
    """The file (relative to the root) nginx serves for ``path`` + ``params`` in :func:`gzip_static_http`.

    The query string is encoded exactly as the client (``requests``) encodes it: ``urlencode`` in the
    parameters' order, so nginx's raw ``$args`` equals the file name."""
    query = urlencode(list(params.items())) or "_"
    return f"{path.lstrip('/')}/{query}.json.gz"


def write_static_tree(root: Path, responses: Iterable[tuple[str, Mapping[str, str], bytes]]) -> int:
    """Write each (path, params, JSON body) as a precompressed file under ``root``; returns the count."""
    count = 0
    for path, params, body in responses:
        target = root / static_file_name(path, params)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
        count += 1
    return count


class Nginx:
    """One nginx in the foreground under ``prefix``; ``with Nginx(...) as n:`` starts it, ``n.url`` is its URL.

    ``http_body`` is what goes inside ``http {}`` besides the common lines; build it with
    :func:`gzip_proxy_http` or :func:`gzip_static_http` and the port :attr:`port`.
    """

    def __init__(self, prefix: Path, port: int | None = None) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError(skip_reason() or "nginx missing")
        self.binary = binary
        self.prefix = prefix
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        for sub in ("conf", "logs", "temp"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def conf_path(self) -> Path:
        return self.prefix / "conf" / "nginx.conf"

    @property
    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log(self, requests: int = 0, timeout: float = 5.0) -> list[str]:
        """The access log's lines, once it holds at least ``requests`` request lines.

        nginx writes a request's log line after the response has gone out, so a
        client that has just read its last response can be ahead of the log: the
        wait closes that race (seen in CI: the probe's line was missing).
        """
        path = self.prefix / "logs" / "access.log"
        deadline = time.monotonic() + timeout
        while True:
            lines = path.read_text().splitlines() if path.exists() else []
            if sum(line.startswith("GET ") for line in lines) >= requests or time.monotonic() >= deadline:
                return lines
            time.sleep(0.02)

    def start(self, http_body: str) -> "Nginx":
        self.conf_path.write_text(main_config(self.prefix, self.port, http_body))
        args = [self.binary, "-p", f"{self.prefix.as_posix()}/", "-c", str(self.conf_path),
                "-e", str(self.prefix / "logs" / "error.log")]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=10)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t rejected {self.conf_path}: {check.stderr.strip()}")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {self.error_log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on {self.port} within {START_TIMEOUT_SECONDS:g}s: "
                           f"{self.error_log[-2000:]}")

    def stop(self) -> None:
        """Fast shutdown (SIGTERM: the master stops its worker and exits), then SIGKILL if it hangs."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def __enter__(self) -> "Nginx":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
