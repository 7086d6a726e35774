"""Where the real checking tools of tests/deploy are, and small helpers the checks share.

Each tool is optional: a test that needs one skips, naming the tool and how to install it
(`make install` for the Python packages of the dev extras, `make compose-cli` and
`make haproxy` for Debian's docker-compose and haproxy).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
COMPOSE = DEPLOY / "compose.yaml"
HAPROXY_CFG = DEPLOY / "haproxy.cfg"
CHART = DEPLOY / "helm" / "support-agent"
ENV_EXAMPLE = ROOT / ".env.example"

# What compose needs from the environment (it refuses to start without them).
COMPOSE_ENV = {
    "JWT_SECRET": "test-jwt-secret",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-password",
}
# Values that make the chart's default two replicas legal: a shared Postgres store.
POSTGRES_VALUES = {
    "secrets": {
        "DATABASE_URL": "postgresql+psycopg://support:pw@postgres:5432/support",
        "CHECKPOINT_URL": "postgresql://support:pw@postgres:5432/support",
    },
    "settings": {"CHROMA_URL": "http://chroma:8000"},
    "ingress": {"enabled": True},
}


def binary(name: str, *extra_paths: str) -> str | None:
    """Path of an executable: on PATH, beside this interpreter (the venv), or in extra_paths."""
    beside = Path(sys.executable).parent / name
    for candidate in (shutil.which(name), str(beside), *extra_paths):
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return candidate
    return None


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def skip_without(tool: str | bool | None, why: str) -> pytest.MarkDecorator:
    """Skip a test when its tool (a path, or whether a module is importable) is missing."""
    return pytest.mark.skipif(not tool, reason=why)


HADOLINT = binary("hadolint")
SHELLCHECK = binary("shellcheck")
DOCKER_COMPOSE_V1 = binary("docker-compose")
HAPROXY = binary("haproxy", "/usr/sbin/haproxy")
POSIX_SH = binary("sh", "/bin/sh")
PROMTOOL = binary("promtool")
HELM = has_module("helm_python")
KUBE_VALIDATE = has_module("kubernetes_validate")
COMPOSE_SPEC = has_module("compose_spec")


def docker_compose_v2() -> list[str] | None:
    """`docker compose` when the docker CLI has its compose plugin (`config` needs no daemon)."""
    docker = binary("docker")
    if docker is None:
        return None
    done = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False, timeout=20
    )
    return [docker, "compose"] if done.returncode == 0 else None


def env_example_keys() -> list[str]:
    """Every setting named in .env.example, in order."""
    keys = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            keys.append(line.split("=", 1)[0])
    return keys


_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation for the forms deploy/compose.yaml uses: ${V}, ${V:-default},
    ${V:?message} (KeyError with the message when V is unset or empty) and $$."""

    def value(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name, op, arg = match[1], match[2], match[3]
        found = env.get(name, "")
        if op == ":?" and not found:
            raise KeyError(arg)
        return found or (arg if op == ":-" else "")

    return _VARIABLE.sub(value, text)


def docker_ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore `patterns` leave `path` (relative, '/'-separated) out of the
    build context: a pattern matches the path or a folder above it, `**` any depth, and
    the last matching pattern wins (`!` re-includes)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.strip("/")
        globs = {pattern, pattern.replace("**/", "")} if "**/" in pattern else {pattern}
        hit = any(fnmatch.fnmatchcase(p, g) for p in prefixes for g in globs)
        if hit:
            ignored = not negate
    return ignored


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
