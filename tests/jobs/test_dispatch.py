"""Every job the app queues or schedules names a function that exists in ``app/jobs`` (paths are text
in Redis, so a typo or a moved function would only fail inside a worker)."""

from __future__ import annotations

from importlib import import_module

import pytest

from app.cron import SCHEDULE
from app.queueing import dispatch


@pytest.mark.parametrize("path", sorted({*dispatch.JOB_PATHS, *(entry.func for entry in SCHEDULE)}))
def test_every_job_path_resolves_to_an_entry_point_in_app_jobs(path):
    module, _, name = path.rpartition(".")
    assert module.startswith("app.jobs."), path
    assert callable(getattr(import_module(module), name, None)), path


def test_jobs_hold_entry_points_only():
    """``app/jobs`` modules define functions (entry points), no scheduling helpers or queue plumbing."""
    import inspect
    import pkgutil

    import app.jobs

    for info in pkgutil.iter_modules(app.jobs.__path__):
        module = import_module(f"app.jobs.{info.name}")
        own = [v for k, v in vars(module).items() if getattr(v, "__module__", None) == module.__name__]
        assert all(inspect.isfunction(v) for v in own), (info.name, own)
        assert not any(k.startswith("enqueue") for k in vars(module)), info.name
