"""Configuration: the environment table, generated secrets, fail-closed key settings."""

from __future__ import annotations

import json
import os
import stat

import pytest

from app import ConfigurationError, create_app
from app.config import SETTINGS, Config, normalise_database_url, settings_table_markdown


def test_every_setting_is_documented_in_the_readme():
    readme = open("README.md").read()
    for s in SETTINGS:
        assert f"`{s.name}`" in readme, s.name
    assert settings_table_markdown().count("\n") == len(SETTINGS) + 1


def test_from_env_reads_the_table():
    cfg = Config.from_env(
        {"APP_ENV": "development", "DATABASE_URL": "postgres://u@h/db", "SMTP_PORT": "2525", "SMTP_STARTTLS": "false"}
    )
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert cfg["SMTP_PORT"] == 2525 and cfg["SMTP_STARTTLS"] is False
    assert cfg["SESSION_COOKIE_SECURE"] is False  # development over plain http
    prod = Config.from_env({})
    assert prod["APP_ENV"] == "production" and "SESSION_COOKIE_SECURE" not in prod
    assert Config.SESSION_COOKIE_SECURE is True and Config.SESSION_COOKIE_NAME == "__Host-session"
    with pytest.raises(ValueError):
        Config.from_env({"APP_ENV": "staging"})


def test_database_url_normalisation():
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url(None) is None


def test_secrets_are_generated_once_into_instance(tmp_path):
    inst = tmp_path / "inst"
    app1 = create_app({"INSTANCE_PATH": str(inst), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app2 = create_app({"INSTANCE_PATH": str(inst), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app1.config["SECRET_KEY"] == app2.config["SECRET_KEY"]  # web, worker and cron agree
    assert app1.config["SECRET_KEY"] != other.config["SECRET_KEY"]  # never a constant default
    assert app1.config["TOKEN_ENCRYPTION_KEYS"] != other.config["TOKEN_ENCRYPTION_KEYS"]
    assert app1.config["SECRET_KEY"] not in app1.config["TOKEN_ENCRYPTION_KEYS"]
    path = inst / "secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert set(json.loads(path.read_text())) >= {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"}


def test_half_a_token_key_configuration_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError):
        create_app({"INSTANCE_PATH": str(tmp_path), "TOKEN_ENCRYPTION_KEYS": "k1:abc"})


def test_short_secret_key_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "dev"})


def test_production_profile_has_debug_off(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.debug is False and app.config["PROPAGATE_EXCEPTIONS"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
