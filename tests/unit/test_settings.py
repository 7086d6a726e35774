"""Settings: one class, documented, mirrored line for line by .env.example."""

from pathlib import Path

from app.settings import PROJECT_ROOT, Settings


def test_env_example_lists_every_setting_in_order():
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    names = [ln.split("=", 1)[0] for ln in lines if ln and not ln.startswith("#")]
    assert names == list(Settings.model_fields)


def test_every_setting_has_a_description():
    assert all(field.description for field in Settings.model_fields.values())


def test_defaults_keep_all_state_under_data_dir(tmp_path):
    s = Settings(_env_file=None, DATA_DIR=tmp_path / "d")
    for path in (s.chroma_path, s.models_dir, s.tiktoken_cache_dir, Path(s.checkpoint_url)):
        assert path.is_relative_to(tmp_path / "d")
    assert s.database_url == f"sqlite:///{tmp_path / 'd' / 'store.sqlite'}"
    assert not s.llm_configured


def test_generated_jwt_secret_is_kept_in_data_dir(tmp_path):
    s = Settings(_env_file=None, DATA_DIR=tmp_path, JWT_SECRET="")
    first = s.jwt_secret()
    assert len(first) >= 40
    assert Settings(_env_file=None, DATA_DIR=tmp_path, JWT_SECRET="").jwt_secret() == first
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
