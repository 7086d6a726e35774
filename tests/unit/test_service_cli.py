"""`support token`: a customer's bearer token, only for customers that exist."""

from typer.testing import CliRunner

from app.auth import customer_from_header
from cli import cli
from tools.store.backend import SqlStore
from tools.store.seed import seed_demo


def test_token_for_existing_customer_decodes_to_that_customer(settings, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("JWT_SECRET", settings.JWT_SECRET)
    seed_demo(SqlStore.from_url(settings.database_url).engine, customers=3, orders=6)
    result = CliRunner().invoke(cli, ["token", "C0002"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert customer_from_header(f"Bearer {token}", settings.JWT_SECRET) == "C0002"


def test_token_for_unknown_customer_fails_with_one_line(settings, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    SqlStore.from_url(settings.database_url)
    result = CliRunner().invoke(cli, ["token", "C9999"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no customer 'C9999' in the store (see `support store customers`)"
    )


def test_serve_refuses_an_impossible_port_before_starting(settings, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["serve", "--port", "99999"])
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output and "65535" in result.output
    monkeypatch.setenv("PORT", "0")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: bad setting (environment or .env): PORT='0': "
        "Input should be greater than or equal to 1"
    )
