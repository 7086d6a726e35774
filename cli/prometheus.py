"""`support ops prometheus-config`: the Prometheus config for this deployment, rendered
from METRICS_SCRAPE_TARGETS, with the alert rules beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, load_settings

ops_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@ops_app.callback()
def ops() -> None:
    """Monitoring of the service: the Prometheus config and its alert rules."""


@ops_app.command("prometheus-config")
def prometheus_config(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write prometheus.yml and alerts.yml into; "
            "default: DATA_DIR/prometheus.",
        ),  # fmt: skip
    ] = None,
    to_stdout: Annotated[
        bool, typer.Option("--print", help="Print the config instead of writing files.")
    ] = False,
) -> None:
    """Render the Prometheus config that scrapes /metrics of every METRICS_SCRAPE_TARGETS
    entry (empty: this service's HOST:PORT) and loads the alert rules.

    Example: METRICS_SCRAPE_TARGETS=10.0.0.5:8000,10.0.0.6:8000 support ops prometheus-config
    """
    from observability import prometheus_config

    settings = load_settings()
    try:
        targets = prometheus_config.scrape_targets(
            settings.METRICS_SCRAPE_TARGETS, settings.HOST, settings.PORT
        )
    except ValueError as exc:
        fail(str(exc), code=2)
    source = settings.METRICS_SCRAPE_TARGETS.strip() or "empty: HOST:PORT"
    if to_stdout:
        typer.echo(prometheus_config.render(targets, source=source), nl=False)
        return
    folder = out if out is not None else settings.data_dir / "prometheus"
    try:
        config = prometheus_config.write(folder, targets, source=source)
    except OSError as exc:
        fail(f"cannot write {folder}: {exc.strerror or exc}")
    typer.echo(f"wrote {config} and {config.with_name('alerts.yml')}")
    typer.echo(f"scrape targets: {', '.join(targets)}")
    typer.echo(f"run: prometheus --config.file={config}")
