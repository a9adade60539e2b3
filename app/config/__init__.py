"""Settings from the environment, declared once in a small typed table.

Every setting the code reads is a :class:`Setting` in ``SETTINGS`` (``table.py``): its environment variable, its
type, its one default and what it means. ``Config.from_env()`` parses and validates the whole table in
one pass (a bad value, e.g. ``SYNC_YOUTUBE_DAILY_UNITS=lots``, stops the process at start with a
:class:`SettingError` naming the variable), ``Config.defaults()`` gives the typed defaults that
``create_app(mapping)`` fills in under a partial mapping, and readers use ``config["NAME"]`` without a
fallback of their own (an optional setting, unset by default, may be read with ``.get``), so each
default lives here only. The README's configuration tables and
``.env.example`` are generated from the same table (``flask --app wsgi config-table --write``) and a test
fails when they drift; another test scans the code for config reads and fails on a name not declared.

Why a table and not pydantic-settings: the app needs a handful of scalar types, per-setting help and
groups for the generated docs, plain-dict configs for tests and a reader in ``scripts/run_all.py``;
one table in this module does all of it without a new dependency, and a settings model would still
need the same per-field metadata for the docs. Defaults that belong to a lower layer (platform timeouts and
scopes) are imported from it, so they are still written once.

Not every setting ends up in the app's config: ``reader`` says who parses it. ``"app"`` settings go
through ``from_env``; ``"run"`` ones are read by ``scripts/run_all.py`` through :func:`env_value`;
``"sandbox"`` ones are read by the platform sandbox (``app/sandbox/config.py``), a separate Flask app
that by design imports nothing from the product, so it keeps its own parser; they are declared here so
they are documented with the rest, and ``tests/test_config.py`` checks that both lists agree.

Flask and extension keys fixed in :class:`Config` (cookie flags, CSRF, SQLAlchemy engine options, ...)
are not settings: they are secure constants, never read from the environment (``FRAMEWORK_KEYS``).
Nothing here runs at import time: ``Config.from_env()`` is called by the factory.

The package: ``setting.py`` (the type and its parsers), ``table.py`` (the declaration), ``loading.py``
(into the app's config) and ``docs.py`` (the README tables and ``.env.example``); this module re-exports
what the rest of the app uses.
"""

from app.config.docs import (
    README_BEGIN,
    README_END,
    env_example,
    readme_with_table,
    settings_table_markdown,
    write_generated,
)
from app.config.loading import (
    SANDBOX_CLIENTS,
    Config,
    development_cookie_overrides,
    normalise_database_url,
    sandbox_client_defaults,
)
from app.config.setting import Setting, SettingError
from app.config.table import FRAMEWORK_KEYS, GROUPS, SETTINGS, env_value, setting

__all__ = [
    "FRAMEWORK_KEYS",
    "GROUPS",
    "README_BEGIN",
    "README_END",
    "SANDBOX_CLIENTS",
    "SETTINGS",
    "Config",
    "Setting",
    "SettingError",
    "development_cookie_overrides",
    "env_example",
    "env_value",
    "normalise_database_url",
    "readme_with_table",
    "sandbox_client_defaults",
    "setting",
    "settings_table_markdown",
    "write_generated",
]
