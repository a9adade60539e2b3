"""The report tests' shared tenants: ``seeded`` (a week of two accounts, tests/reports/test_reports.py)
and ``program`` (a programme with milestones and posts, tests/reports/test_contents.py), for the test
modules that check the same data printed, shared and summarised."""

from tests.reports.test_contents import program  # noqa: F401
from tests.reports.test_reports import seeded  # noqa: F401
