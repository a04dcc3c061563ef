"""Configuration: bad settings stop start-up with one line naming the variable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from kaptrain import create_app
from kaptrain.platform.config import load_config
from tests.support.settings import ROOT

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """A clean KAPTRAIN_* environment with a throwaway instance folder."""
    for name in list(os.environ):
        if name.startswith("KAPTRAIN_"):
            monkeypatch.delenv(name)
    modules = tmp_path / "modules"
    modules.mkdir()
    monkeypatch.setenv("KAPTRAIN_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("KAPTRAIN_MODULES_DIR", str(modules))
    monkeypatch.setenv("KAPTRAIN_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KAPTRAIN_RATELIMIT_ENABLED", "false")
    return monkeypatch


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KAPTRAIN_DATABASE_URL", "not a url at all", "is not a database URL"),
        ("KAPTRAIN_DATABASE_URL", "mysql://u@127.0.0.1/k", "supports sqlite"),
        ("KAPTRAIN_HTTPS", "maybe", "must be true or false"),
        ("KAPTRAIN_RATELIMIT_ENABLED", "yesplease", "must be true or false"),
        ("KAPTRAIN_MAX_CONTENT_LENGTH", "lots", "must be a whole number"),
        ("KAPTRAIN_RESET_LINK_HOURS", "0", "must be between"),
        ("KAPTRAIN_TRUSTED_PROXIES", "-1", "must be between"),
        ("KAPTRAIN_REDIS_URL", "http://127.0.0.1:6379", "must start with redis://"),
        ("KAPTRAIN_ENV", "staging", "must be 'development' or 'production'"),
    ],
)
def test_bad_setting_exits_naming_the_variable(env, variable, value, says):
    env.setenv(variable, value)
    with pytest.raises(SystemExit) as exit_info:
        create_app({"SECRET_KEY": SECRET})
    message = str(exit_info.value.code)
    assert message.startswith("kaptrain: ")
    assert variable in message
    assert says in message
    assert "\n" not in message


def test_production_without_a_secret_key_exits(env):
    env.setenv("KAPTRAIN_ENV", "production")
    with pytest.raises(SystemExit) as exit_info:
        create_app()
    assert "KAPTRAIN_SECRET_KEY is not set" in str(exit_info.value.code)


def test_production_with_a_short_secret_key_exits(env):
    env.setenv("KAPTRAIN_ENV", "production")
    env.setenv("KAPTRAIN_SECRET_KEY", "short")
    with pytest.raises(SystemExit) as exit_info:
        create_app()
    assert "KAPTRAIN_SECRET_KEY is too short" in str(exit_info.value.code)


def test_production_defaults_are_safe(env):
    env.setenv("KAPTRAIN_ENV", "production")
    env.setenv("KAPTRAIN_SECRET_KEY", SECRET)
    # Issue 13: production also needs KAPTRAIN_BASE_URL or KAPTRAIN_TRUSTED_HOSTS.
    env.setenv("KAPTRAIN_BASE_URL", "https://training.example.org")
    app = create_app()
    assert app.config["HTTPS"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["CONTENT_AUTO_RELOAD"] is False
    assert app.config["TRUSTED_PROXIES"] == 0


def test_dev_secret_key_is_made_once_and_reused(env, tmp_path):
    first = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 64
    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_redis_url_sets_the_rate_limit_storage(env, tmp_path):
    env.setenv("KAPTRAIN_REDIS_URL", "redis://127.0.0.1:6379/3")
    config = load_config(tmp_path / "instance")
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_without_redis_the_limits_are_in_a_file_the_workers_share(env, tmp_path):
    # Issue 13 changed this from memory:// (counted per worker).
    uri = load_config(tmp_path / "instance")["RATELIMIT_STORAGE_URI"]
    expected = (tmp_path / "instance" / "ratelimits.db").resolve()
    assert uri == f"kaptrain+sqlite://{expected}"


def test_plain_postgresql_url_uses_psycopg3(env, tmp_path):
    env.setenv("KAPTRAIN_DATABASE_URL", "postgresql://u@127.0.0.1/k")
    config = load_config(tmp_path / "instance")
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_https_and_trusted_proxies_from_the_environment(env, tmp_path):
    env.setenv("KAPTRAIN_HTTPS", "on")
    env.setenv("KAPTRAIN_TRUSTED_PROXIES", "2")
    config = load_config(tmp_path / "instance")
    assert config["HTTPS"] and config["SESSION_COOKIE_SECURE"]
    assert config["TRUSTED_PROXIES"] == 2


def test_wsgi_refuses_to_start_without_a_database(tmp_path):
    modules = tmp_path / "modules"
    modules.mkdir()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KAPTRAIN_")
    }
    environment.update(
        KAPTRAIN_DATABASE_URL="postgresql+psycopg://kaptrain@127.0.0.1:1/kaptrain",
        KAPTRAIN_INSTANCE_DIR=str(tmp_path / "instance"),
        KAPTRAIN_MODULES_DIR=str(modules),
        KAPTRAIN_SECRET_KEY=SECRET,
    )
    result = subprocess.run(
        [sys.executable, "-c", "import kaptrain.wsgi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [
        line for line in result.stderr.splitlines() if "KAPTRAIN_DATABASE_URL" in line
    ]
    assert len(lines) == 1
    assert lines[0].startswith("kaptrain: cannot reach the database")
