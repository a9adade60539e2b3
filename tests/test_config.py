"""Configuration: the environment table, generated secrets, fail-closed key settings.

Also: every setting the code reads is declared (an AST scan of ``app/``, ``worker.py``, ``wsgi.py`` and
``scripts/``), values from the environment reach the objects that use them, and the README's tables and
``.env.example`` are exactly what the declaration generates.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from app import ConfigurationError, create_app
from app.config import (
    FRAMEWORK_KEYS,
    GROUPS,
    README_BEGIN,
    README_END,
    SETTINGS,
    Config,
    SettingError,
    env_example,
    env_value,
    normalise_database_url,
    readme_with_table,
    settings_table_markdown,
    write_generated,
)
from tests.support.sandbox import sandbox, sandbox_app, sandbox_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
APP_SETTINGS = [s for s in SETTINGS if s.reader == "app"]


def test_every_setting_is_documented_in_the_readme():
    readme = Path("README.md").read_text()
    for s in SETTINGS:
        assert f"`{s.name}`" in readme, s.name
    rows = [line for line in settings_table_markdown().splitlines() if line.startswith("| `")]
    assert sorted(row.split("`")[1] for row in rows) == sorted(s.name for s in SETTINGS)  # one row each


def test_from_env_reads_the_table():
    cfg = Config.from_env(
        {"APP_ENV": "development", "DATABASE_URL": "postgres://u@h/db", "SMTP_PORT": "2525", "SMTP_STARTTLS": "false"}
    )
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert cfg["SMTP_PORT"] == 2525
    assert cfg["SMTP_STARTTLS"] is False
    assert cfg["SESSION_COOKIE_SECURE"] is False  # development over plain http
    prod = Config.from_env({})
    assert prod["APP_ENV"] == "production"
    assert "SESSION_COOKIE_SECURE" not in prod
    assert Config.SESSION_COOKIE_SECURE is True
    assert Config.SESSION_COOKIE_NAME == "__Host-session"
    with pytest.raises(ValueError, match="APP_ENV='staging': expected one of production, development, test"):
        Config.from_env({"APP_ENV": "staging"})


def test_database_url_normalisation():
    assert normalise_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url(None) is None


def test_secrets_are_generated_once_into_instance_in_development(tmp_path):
    dev = {"APP_ENV": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    inst = tmp_path / "inst"
    app1 = create_app({**dev, "INSTANCE_PATH": str(inst)})
    app2 = create_app({**dev, "INSTANCE_PATH": str(inst)})
    other = create_app({**dev, "INSTANCE_PATH": str(tmp_path / "other")})
    assert app1.config["SECRET_KEY"] == app2.config["SECRET_KEY"]  # web, worker and cron agree
    assert app1.config["SECRET_KEY"] != other.config["SECRET_KEY"]  # never a constant default
    assert app1.config["TOKEN_ENCRYPTION_KEYS"] != other.config["TOKEN_ENCRYPTION_KEYS"]
    assert app1.config["SECRET_KEY"] not in app1.config["TOKEN_ENCRYPTION_KEYS"]
    path = inst / "secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert set(json.loads(path.read_text())) >= {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"}


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SECRET_KEY and TOKEN_ENCRYPTION_KEYS not set"),
        ({"SECRET_KEY": "s" * 64}, "TOKEN_ENCRYPTION_KEYS not set"),
        ({"TOKEN_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=", "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1"}, "SECRET_KEY not set"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, given, missing):
    """T4: a missing key is never a new key in production; the message names what is missing and how
    to make it, and nothing is written to the instance folder."""
    with pytest.raises(ConfigurationError) as exc:
        create_app({"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path), **given})
    assert missing in str(exc.value)
    assert "python -m app.instance_secrets" in str(exc.value)
    assert not (tmp_path / "secrets.json").exists()


def test_the_generate_command_prints_secrets_production_accepts(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "app.instance_secrets"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert set(env) == {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "TOKEN_ENCRYPTION_ACTIVE_KEY"}
    app = create_app({"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path), **env})
    assert app.config["SECRET_KEY"] == env["SECRET_KEY"]
    assert not (tmp_path / "secrets.json").exists()


def test_half_a_token_key_configuration_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError):
        create_app({"INSTANCE_PATH": str(tmp_path), "TOKEN_ENCRYPTION_KEYS": "k1:abc"})


def test_short_secret_key_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "dev"})


def test_production_profile_has_debug_off(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "s" * 64,
            "TOKEN_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
            "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
        }
    )
    assert app.debug is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


# --------------------------------------------------------------------------- the declaration


def test_each_setting_is_declared_once_with_a_type_a_default_and_a_meaning():
    names = [s.name for s in SETTINGS]
    keys = [s.config_key for s in APP_SETTINGS]
    assert len(names) == len(set(names))
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(FRAMEWORK_KEYS)
    python_type = {"str": str, "url": str, "choice": str, "int": int, "float": float, "bool": bool}
    python_type.update({"list": tuple, "map": dict})
    for s in SETTINGS:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", s.name), s.name
        assert s.help.strip(), s.name
        assert s.group in dict(GROUPS), s.name
        if s.default is None:
            continue
        assert type(s.default) is python_type[s.kind], s.name
        # the default as the README and .env.example show it parses back to the same value
        shown = re.search(rf"^# {s.name}=(.*)$", env_example(), re.M)
        assert shown is not None, s.name
        assert s.parse(shown.group(1).strip('"')) == s.default, s.name


def test_framework_keys_are_exactly_the_fixed_internals_of_config():
    """Flask / extension keys are secure constants, not settings: listed once, excluded from the scan."""
    assert sorted(k for k in dir(Config) if k.isupper()) == sorted(FRAMEWORK_KEYS)
    assert set(Config.defaults()) == set(FRAMEWORK_KEYS) | {s.config_key for s in APP_SETTINGS}


def test_environment_values_are_parsed_by_type():
    cfg = Config.from_env(
        {
            "SYNC_YOUTUBE_DAILY_UNITS": " 12345 ",
            "SYNC_META_SLOWDOWN_SECONDS": "0.25",
            "SYNC_KEEP_RAW": "off",
            "TIKTOK_USE_PKCE": "0",
            "LOG_LEVEL": "debug",
            "PUBLIC_BASE_URL": "https://portal.example.com/",
            "INSTAGRAM_SCOPES": "a, b c",
            "PLATFORM_HOST_OVERRIDES": "youtube.googleapis.com=www.googleapis.com, x=y",
            "SMTP_HOST": "",  # blank is unset
        }
    )
    assert cfg["SYNC_YOUTUBE_DAILY_UNITS"] == 12345
    assert cfg["SYNC_META_SLOWDOWN_SECONDS"] == 0.25
    assert cfg["SYNC_KEEP_RAW"] is False
    assert cfg["TIKTOK_USE_PKCE"] is False
    assert cfg["LOG_LEVEL"] == "DEBUG"
    assert cfg["PUBLIC_BASE_URL"] == "https://portal.example.com"
    assert cfg["INSTAGRAM_SCOPES"] == ("a", "b", "c")
    assert cfg["PLATFORM_HOST_OVERRIDES"] == {"youtube.googleapis.com": "www.googleapis.com", "x": "y"}
    assert cfg["SMTP_HOST"] is None
    assert set(cfg) >= {s.config_key for s in APP_SETTINGS}  # every app setting, set or not
    assert {k: v for k, v in Config.from_env({}).items()} == {s.config_key: s.default for s in APP_SETTINGS}


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("SYNC_YOUTUBE_DAILY_UNITS", "lots", "expected a whole number"),
        ("SYNC_YOUTUBE_DAILY_UNITS", "-1", "must be at least 0"),
        ("SYNC_CONCURRENCY_TIKTOK", "0", "must be at least 1"),
        ("SYNC_META_SLOWDOWN_SECONDS", "fast", "expected a number"),
        ("PLATFORM_READ_TIMEOUT_SECONDS", "inf", "expected a finite number"),
        ("SMTP_PORT", "70000", "must be at most 65535"),
        ("TIKTOK_USE_PKCE", "maybe", "expected true or false"),
        ("LOG_LEVEL", "LOUD", "expected one of"),
        ("APP_ENV", "staging", "expected one of production, development, test"),
        ("PUBLIC_BASE_URL", "portal.example.com", "expected an http:// or https:// URL"),
        ("PLATFORM_HOST_OVERRIDES", "nonsense", "expected key=value pairs"),
    ],
)
def test_a_bad_value_fails_at_start_naming_the_variable(name, value, reason):
    with pytest.raises(SettingError) as caught:
        Config.from_env({name: value})
    assert f"{name}={value!r}: {reason}" in str(caught.value)
    assert isinstance(caught.value, ConfigurationError)
    assert isinstance(caught.value, ValueError)


def test_every_bad_value_is_named_at_once_and_the_app_does_not_start(monkeypatch, tmp_path):
    _clean_environment(monkeypatch)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SYNC_YOUTUBE_DAILY_UNITS", "lots")
    monkeypatch.setenv("SYNC_KEEP_RAW", "sometimes")
    with pytest.raises(SettingError, match=r"SYNC_YOUTUBE_DAILY_UNITS='lots'.*SYNC_KEEP_RAW='sometimes'"):
        create_app()
    assert not (tmp_path / "instance").exists()  # stopped before anything was generated


def test_a_partial_mapping_gets_every_other_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secrets = {
        "SECRET_KEY": "s" * 64,
        "TOKEN_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
        "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
    }
    app = create_app({"INSTANCE_PATH": "inst", "SYNC_RETRY_BUDGET": 2, **secrets})
    assert app.config["SYNC_RETRY_BUDGET"] == 2
    derived = {"INSTANCE_PATH", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"}
    derived |= {"TOKEN_ENCRYPTION_ACTIVE_KEY", "SYNC_RETRY_BUDGET"}
    for s in APP_SETTINGS:
        if s.config_key not in derived:
            assert app.config[s.config_key] == s.default, s.name
    # the folder actually used, so readers (report PDFs) never see it unset
    assert app.config["INSTANCE_PATH"] == str(tmp_path / "inst") == app.instance_path


def test_settings_read_outside_the_app_use_the_same_declaration():
    assert env_value("PORT", {}) == 5000
    assert env_value("SANDBOX_PORT", {"SANDBOX_PORT": "6000"}) == 6000
    with pytest.raises(SettingError, match="PORT='http'"):
        env_value("PORT", {"PORT": "http"})


# --------------------------------------------------------------------------- proof: the environment reaches the objects


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for s in SETTINGS:
        monkeypatch.delenv(s.name, raising=False)


def _app_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str):
    """``create_app()`` reading ``os.environ`` as ``wsgi.py`` and ``worker.py`` do."""
    _clean_environment(monkeypatch)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_youtube_daily_units_from_the_environment_bound_the_sync_budget(monkeypatch, tmp_path, redis_url):
    from app.platforms.errors import QuotaExceeded
    from app.redis_conn import get_redis
    from app.sync import engine
    from app.sync.quotas import Budgets, pacific_day

    app = _app_from_environment(monkeypatch, tmp_path, REDIS_URL=redis_url, SYNC_YOUTUBE_DAILY_UNITS="12345")
    videos = "https://youtube.googleapis.com/youtube/v3/videos?id=x"
    with app.app_context():
        budgets = Budgets(get_redis(), engine.settings())  # as engine.sync builds it
        assert budgets.youtube_units == 12345
        key = f"quota:youtube:default:{pacific_day()}"
        try:
            get_redis().set(key, 12344)
            assert budgets.before_call("youtube", videos) == 1  # unit 12,345 is still in the budget
            with pytest.raises(QuotaExceeded):
                budgets.before_call("youtube", videos)  # unit 12,346 is not: the call is never made
        finally:
            get_redis().delete(key)
    default = _app_from_environment(monkeypatch, tmp_path / "default", REDIS_URL=redis_url)
    with default.app_context():
        assert Budgets(get_redis(), engine.settings()).youtube_units == 9500


def test_instagram_api_version_from_the_environment_is_the_one_the_graph_calls_use(
    monkeypatch,
    tmp_path,
    sandbox,  # noqa: F811
):
    from app.platforms.errors import PlatformError
    from app.platforms.instagram import InstagramAdapter
    from app.services import connections

    app = _app_from_environment(
        monkeypatch, tmp_path, PLATFORM_SANDBOX_URL=sandbox.base_url, INSTAGRAM_API_VERSION="v99.0"
    )
    with app.app_context():
        adapter = connections.adapter_for("instagram")  # what connect, refresh and sync use
        assert isinstance(adapter, InstagramAdapter)
        assert adapter.api_version == "v99.0"
        sandbox.clear_calls()
        with pytest.raises(PlatformError):
            adapter.fetch_profile("not-a-token")
    paths = [call["path"] for call in sandbox.calls("instagram")]
    assert paths, "the adapter made no call to the sandbox"
    assert all(path.startswith("/graph.instagram.com/v99.0/") for path in paths), paths


# --------------------------------------------------------------------------- every read is declared

#: names of the objects settings are read from: the Flask config, a settings mapping, the environment
CONFIG_OBJECTS = {"config", "cfg", "settings", "env", "environ"}
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9*]+)*")


def _is_config(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in CONFIG_OBJECTS
    if isinstance(node, ast.Attribute):  # app.config, current_app.config, os.environ
        return node.attr in ("config", "environ")
    if isinstance(node, ast.Call):  # the sync engine's settings()
        return isinstance(node.func, ast.Name) and node.func.id == "settings" and not node.args
    return False


def _name(node: ast.AST) -> str | None:
    """A constant key, or an f-string key with ``*`` for its placeholders (``SYNC_CONCURRENCY_*``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)
    else:
        return None
    return text if SETTING_NAME.fullmatch(text) else None


def config_reads(source: str) -> set[str]:
    """Setting names read in ``source``: ``cfg["X"]``, ``cfg.get("X")``, ``helper(cfg, "X")``, ``env_value("X")``."""
    found: set[str | None] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_config(node.value):
            found.add(_name(node.slice))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "pop", "setdefault")
                and _is_config(func.value)
                or isinstance(func, ast.Name | ast.Attribute)
                and getattr(func, "id", getattr(func, "attr", ""))
                in (
                    "env_value",
                    "getenv",
                )
            ):
                found.add(_name(node.args[0]))
            elif any(_is_config(arg) for arg in node.args):
                found.update(_name(arg) for arg in node.args)
    return {name for name in found if name}


def _product_sources() -> list[Path]:
    files = [p for p in (ROOT / "app").rglob("*.py") if "sandbox" not in p.relative_to(ROOT / "app").parts]
    return [*files, ROOT / "worker.py", ROOT / "wsgi.py", ROOT / "gunicorn.conf.py", *(ROOT / "scripts").glob("*.py")]


def test_every_setting_the_code_reads_is_declared():
    declared = {s.config_key for s in SETTINGS} | {s.name for s in SETTINGS}
    reads: dict[str, set[str]] = {}
    for path in _product_sources():
        for name in config_reads(path.read_text(encoding="utf-8")):
            reads.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    # the scan sees the reads this issue was about (guards against a scan that finds nothing)
    assert {"SYNC_YOUTUBE_DAILY_UNITS", "INSTAGRAM_API_VERSION", "SYNC_CONCURRENCY_*", "PORT"} <= set(reads)
    undeclared = {}
    for name, files in reads.items():
        if name in FRAMEWORK_KEYS:
            continue
        matches = fnmatch.filter(declared, name) if "*" in name else [name] if name in declared else []
        if not matches:
            undeclared[name] = sorted(files)
    assert not undeclared, f"read but not declared in app/config/table.py SETTINGS: {undeclared}"


def test_the_per_platform_concurrency_is_declared_for_every_platform():
    from app.models.platforms import CONNECTABLE

    assert {f"SYNC_CONCURRENCY_{p.upper()}" for p in CONNECTABLE} <= {s.name for s in SETTINGS}


def test_the_sandbox_variables_are_the_ones_the_sandbox_reads():
    """The sandbox parses its own (it imports nothing from the product); the declaration must agree."""
    from app.sandbox.config import DEFAULTS

    source = (ROOT / "app" / "sandbox" / "config.py").read_text(encoding="utf-8")
    read = {name for name in config_reads(source) if name.startswith("SANDBOX_")}
    declared = {s.name: s for s in SETTINGS if s.reader == "sandbox"}
    assert read == set(declared)
    for name, s in declared.items():
        key = name.removeprefix("SANDBOX_")
        if key in DEFAULTS and key != "CLIENTS":  # CLIENTS: the built-in apps, documented in words
            assert s.default == DEFAULTS[key], name


# --------------------------------------------------------------------------- generated README tables and .env.example


def test_the_readme_tables_are_exactly_what_the_declaration_generates():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(README_BEGIN) == 1
    assert readme.count(README_END) == 1
    assert readme_with_table(readme) == readme, "README drifted: run `flask --app wsgi config-table --write`"


def test_env_example_is_exactly_what_the_declaration_generates():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == env_example(), ".env.example drifted: run `flask --app wsgi config-table --write`"
    assert {m for m in re.findall(r"^# ([A-Z][A-Z0-9_]*)=", text, re.M)} == {s.name for s in SETTINGS}


def test_config_table_write_rewrites_only_between_the_markers(tmp_path):
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    before, after = readme.split(README_BEGIN)[0], readme.split(README_END)[1]
    stale = before + README_BEGIN + "\n| `OLD_SETTING` | | | |\n" + README_END + after
    (tmp_path / "README.md").write_text(stale, encoding="utf-8")
    assert write_generated(tmp_path) == [tmp_path / "README.md", tmp_path / ".env.example"]
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == readme
    assert (tmp_path / ".env.example").read_text(encoding="utf-8") == env_example()
    assert write_generated(tmp_path) == []  # current: nothing rewritten


def test_config_table_command_prints_the_tables(tmp_path):
    app = create_app({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["config-table"])
    assert result.exit_code == 0
    assert result.output.strip() == settings_table_markdown()
