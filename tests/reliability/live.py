"""A real `support serve` process for the reliability tests: started on a free port over a
copy of the test run's prepared DATA_DIR, stopped politely or with SIGKILL.

The tests here crash and starve a real server, so nothing in-process stands in for it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_data_dir(built_dir: Path, target: Path) -> Path:
    """A private DATA_DIR with the run's trained model, ingested help centre and seeded
    store (the template store is copied, so each server writes only its own)."""
    shutil.copytree(built_dir, target)
    return target


class LiveServer:
    """One `support serve` child process. `env` overrides settings (DATABASE_URL, ...)."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "JWT_SECRET": "s" * 40,
            "OPENAI_BASE_URL": "",
            "LLM_MODEL": "",
            "LOG_FORMAT": "text",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0, ready_path: str = "/healthz") -> LiveServer:
        support = shutil.which("support") or str(Path(sys.executable).parent / "support")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [support, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer {ready_path} in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, exactly like a crashed or OOM-killed worker."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 60), **kwargs)
