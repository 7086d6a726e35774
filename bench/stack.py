"""A small cluster on this machine: a Chroma server (`chroma run`), a fresh Postgres
database, `support serve` workers sharing them, and haproxy round-robin in front.

Shared by the cluster tests (tests/cluster/) and `python -m bench.scale`; it needs no
test dependency. `unavailable()` names what is missing where the cluster cannot start
(no haproxy, no Postgres, no `chroma` CLI), so callers can skip with that reason.

Every process is started on a free loopback port and stopped when its context exits.
haproxy adds `X-Served-By: <worker name>` to each response (the app sets no such header)
and `X-Forwarded-For` to each request, which uvicorn trusts from 127.0.0.1, so the
workers' per-address limits count the real client, not the proxy. haproxy checks each
worker's /readyz every second and stops sending to one that fails twice (back after two
passes); a request whose connection a dead worker refuses is re-sent to another worker,
while one the worker had already taken dies with it (haproxy closes the client's
connection without an answer, or answers 502): it may have been acted on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

POSTGRES_URL = os.environ.get(
    "POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
JWT_SECRET = "cluster-" + "s" * 40
BASE_ENV = {
    "JWT_SECRET": JWT_SECRET,
    "OPENAI_BASE_URL": "",
    "LLM_MODEL": "",
    "LOG_FORMAT": "text",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin(name: str) -> str | None:
    """An executable from PATH, else from this interpreter's environment (the venv)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else None


def _haproxy() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )


def postgres_reason(url: str = POSTGRES_URL) -> str | None:
    """None when a Postgres server answers at url, else why not."""
    try:
        import psycopg

        with psycopg.connect(_libpq(url), connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # any failure means "not reachable here"
        return f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}: {exc}".strip()


def unavailable(postgres_url: str = POSTGRES_URL) -> str | None:
    """Why the cluster cannot start here (haproxy, Postgres or `chroma run` missing), or None."""
    if _haproxy() is None:
        return "haproxy is not installed (`make haproxy` installs Debian's package as root)"
    if _bin("chroma") is None:
        return "the chroma CLI (from the chromadb package) is not installed"
    if _bin("support") is None:
        return "the support CLI is not installed (make install)"
    return postgres_reason(postgres_url)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _wait(probe, seconds: float, what: str, proc: subprocess.Popen | None, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not probe():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not up within {seconds} s:\n{_tail(log)}")
        time.sleep(0.2)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def fresh_database(server_url: str = POSTGRES_URL) -> Iterator[str]:
    """A new, empty database on the Postgres at server_url (its SQLAlchemy URL), dropped
    afterwards (connections still open are cut)."""
    import psycopg

    name = f"cluster_{uuid.uuid4().hex[:12]}"
    admin = _libpq(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    base, _, query = server_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@contextlib.contextmanager
def chroma_server(root: Path) -> Iterator[str]:
    """URL of a `chroma run` server over root/db, stopped afterwards."""
    chroma = _bin("chroma")
    if chroma is None:
        raise RuntimeError("the chroma CLI is not installed")
    port = free_port()
    log = root / "chroma.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [chroma, "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(lambda: _listening(port), 60, "chroma run", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def support(args: Sequence[str], env: dict[str, str], timeout: float = 300) -> str:
    """Run `support ARGS...` with env over os.environ; its output, or RuntimeError."""
    exe = _bin("support")
    if exe is None:
        raise RuntimeError("the support CLI is not installed")
    done = subprocess.run(
        [exe, *args],
        env={**os.environ, **BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"support {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Worker:
    """One `support serve` process on a free port."""

    name: str
    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"serve-{self.name}.log"

    def start(self) -> Worker:
        exe = _bin("support")
        if exe is None:
            raise RuntimeError("the support CLI is not installed")
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [exe, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env={**os.environ, **BASE_ENV, **self.env, "DATA_DIR": str(self.data_dir)},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
            )
        return self

    def wait_ready(self, seconds: float = 120) -> None:
        def ready() -> bool:
            try:
                return httpx.get(self.url + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(ready, seconds, f"worker {self.name}", self.proc, self.log_path)

    def log(self) -> str:
        return _tail(self.log_path)

    def stop(self) -> None:
        _stop(self.proc)

    def kill(self) -> None:
        """SIGKILL, as a crashed host or the OOM killer would: no shutdown hook, no flush;
        the requests it was serving die with it (haproxy drops them or answers 502)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, seconds: float = 120) -> Worker:
        """Start again on the same port and DATA_DIR (with `env` as it is now) and wait until
        /readyz answers 200; haproxy's health check then sends it traffic again."""
        self.kill()
        self.start()
        self.wait_ready(seconds)
        return self


HAPROXY_CONFIG = """\
global
    maxconn 512
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    option forwardfor
frontend cluster
    bind 127.0.0.1:{port}
    default_backend workers
backend workers
    balance roundrobin
    option httpchk GET /readyz
    timeout check 3s
    default-server check inter 1s fall 2 rise 2
    option redispatch
    retries 3
    http-response set-header X-Served-By %s
{servers}
"""


@contextlib.contextmanager
def haproxy(workers: Sequence[Worker], root: Path) -> Iterator[str]:
    """URL of haproxy balancing round-robin over workers (no stickiness), stopped afterwards."""
    exe = _haproxy()
    if exe is None:
        raise RuntimeError("haproxy is not installed")
    port = free_port()
    servers = "\n".join(f"    server {w.name} 127.0.0.1:{w.port}" for w in workers)
    config = root / f"haproxy-{port}.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
    log = root / f"haproxy-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait(lambda: _listening(port), 15, "haproxy", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@dataclass
class Cluster:
    """What `cluster()` started: the proxy's URL, the workers, and what they share."""

    url: str
    workers: list[Worker]
    env: dict[str, str]  # DATABASE_URL, CHECKPOINT_URL, CHROMA_URL, ... as every worker has it
    root: Path

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]


def prepare(root: Path, env: dict[str, str], names: Sequence[str]) -> list[Path]:
    """`support setup` once (store seeded in Postgres, help centre ingested into the Chroma
    server, intent model from NLU_CACHE_DIR), then a copy of its DATA_DIR per worker."""
    first = root / f"data-{names[0]}"
    support(["setup"], {**env, "DATA_DIR": str(first)})
    dirs = [first]
    for name in names[1:]:
        dirs.append(shutil.copytree(first, root / f"data-{name}"))
    return dirs


@contextlib.contextmanager
def cluster(
    root: Path,
    workers: int = 2,
    env: dict[str, str] | None = None,
    *,
    worker_env: dict[str, dict[str, str]] | None = None,
) -> Iterator[Cluster]:
    """`workers` workers on a fresh Postgres database and a Chroma server, behind haproxy.

    env adds settings every worker gets (limits, POLICY_FILE, ...); worker_env adds settings
    to the named workers only ({"a": {...}}, e.g. a fault hook on one). Workers start in
    parallel; the context waits until each answers /readyz 200.
    """
    root.mkdir(parents=True, exist_ok=True)
    with fresh_database() as db, chroma_server(root) as chroma_url:
        shared = {
            "DATABASE_URL": db,
            "CHECKPOINT_URL": _libpq(db),
            "CHROMA_URL": chroma_url,
            **(env or {}),
        }
        names = [chr(ord("a") + i) for i in range(workers)]
        dirs = prepare(root, shared, names)
        own = worker_env or {}
        started = [
            Worker(n, d, {**shared, **own.get(n, {})}).start()
            for n, d in zip(names, dirs, strict=True)
        ]
        try:
            for worker in started:
                worker.wait_ready()
            with haproxy(started, root) as url:
                yield Cluster(url, started, shared, root)
        finally:
            for worker in started:
                worker.stop()


def bearer(subject: str, role: str = "customer") -> dict[str, str]:
    """The Authorization header of a token every worker accepts."""
    from app.auth import mint_token

    return {"Authorization": "Bearer " + mint_token(subject, JWT_SECRET, 3600, role=role)}
