from datetime import timedelta
from app.reports import build, service
from tests.reports.test_contents import TODAY, COMMENT, program  # noqa: F401
from tests.reports.test_reports import END, seeded  # noqa: F401
from tests.support import history


def test_dump_w(app, seeded):
    c = history.connection(seeded, "tiktok", username="maya.moves.with.a.very.long.handle_that_goes_on")
    history.daily(c, END - timedelta(days=7), [20000 + 50 * i for i in range(8)])
    open("/tmp/brand/weekly.pdf", "wb").write(service.render_report_pdf(build.weekly(seeded, END)))


def test_dump_p(app, program):
    open("/tmp/brand/program.pdf", "wb").write(service.render_report_pdf(build.program(program, TODAY, COMMENT)))
