"""uvicorn's worker supervisor with one listening socket per worker (see cli/serve_workers.py).

uvicorn 0.54's `Multiprocess` hands every worker the same socket; this subclass binds one
socket per worker to the same address with SO_REUSEPORT and gives worker i socket i, so the
kernel spreads new connections over the workers. A socket is only bound here; its worker
starts listening once its app is ready, so no connection waits on a worker still loading.
A worker that dies loses its socket (connections queued on it are reset, as the ones it was
serving are lost) and its replacement gets a fresh one, so new connections go to the live
workers meanwhile. Starting, replacing a dead or hung worker and restarting all on SIGHUP
otherwise follow uvicorn's own code (`uvicorn/supervisors/multiprocess.py`, pinned in
pyproject.toml).
"""

from __future__ import annotations

import logging
import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port with SO_REUSEPORT, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _refuse_taken(host: str, port: int) -> None:
    """OSError (address in use) when a server listens on host:port: SO_REUSEPORT alone
    would let these workers join its sockets (of the same user) silently. Two of these
    supervisors started within the same few seconds (neither listening yet) are not told
    apart."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


class SpreadMultiprocess(Multiprocess):
    """Multiprocess whose worker i listens on sockets[i] only."""

    def __init__(self, config: Config) -> None:
        _refuse_taken(config.host, config.port)
        sockets: list[socket.socket] = []
        try:
            for _ in range(config.workers):
                sockets.append(bound_socket(config.host, config.port))
                config.port = sockets[0].getsockname()[1]  # port 0: the one picked first
        except OSError:
            self.close(sockets)
            raise
        super().__init__(config, sockets)

    @staticmethod
    def close(sockets: list[socket.socket]) -> None:
        for sock in sockets:
            sock.close()

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.close(self.sockets)

    def _process(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._process(i) for i in range(len(self.sockets))]

    def restart_all(self) -> None:
        """Replace each worker, its successor serving before the old one is retired."""
        for idx, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._process(idx)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    logger.error(
                        "New child process [%s] was not ready in time; keeping worker [%s] "
                        "and aborting the restart.",
                        new.pid,
                        old.pid,
                    )
                return
            old.terminate()
            old.join()
            self.processes[idx] = new

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung: stop it
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # Failed before serving: the app or its settings are broken, and every
                # restart would fail the same way.
                logger.error("Child process [%s] failed to start, stopping.", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info("Child process [%s] died", process.pid)
            self.sockets[idx].close()  # the live workers take new connections meanwhile
            self.sockets[idx] = bound_socket(self.config.host, self.config.port)
            self.processes[idx] = self._process(idx)
