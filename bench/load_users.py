"""The simulated dashboard users of ``bench/load.py`` (its locust side, run in a child process).

    python bench/load_users.py SPEC.json

``bench/load.py`` writes the spec (host, who logs in, think time, duration, timeout) and reads the results
this writes to ``spec["out"]``. A module of its own because locust monkey-patches the whole process with
gevent when it is imported, before anything imports ssl; the orchestrator (psycopg, the app, subprocesses)
must not run patched.

Every request is checked: the exact status (redirects are not followed: a 302 to the login page is an
error), a marker of the page or partial in the body, and no exception (a timeout or a refused connection
is an error). Each one carries an ``X-Request-ID`` ``load.<page key>.<random>`` so the server's access lines
can be matched to it. Response times are recorded raw (locust's own percentiles are rounded).
"""

from __future__ import annotations

import locust  # first: monkey-patches the process (gevent) before ssl is imported

VERSION = locust.__version__

import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402
from locust.log import setup_logging  # noqa: E402

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')
RNG = random.Random(1)
TIMEOUT = 30.0
PASSWORD = ""
SENT: Counter[str] = Counter()  # requests sent per page key (the server's access lines must match)
IN_FLIGHT: Counter[str] = Counter()
STOPPING = False  # set at the end of the window: no new request starts, the ones in flight finish


class Dashboard(HttpUser):
    """A logged-in user of the portal; ``emails`` are handed out one per simulated user."""

    abstract = True
    wait_time = between(1, 3)
    role = ""
    home = ""
    emails: list[str] = []

    def on_start(self) -> None:
        self.email = self.emails.pop()
        self.csrf = ""
        self.login()

    def call(
        self, key: str, method: str, url: str, marker: str | None, expect: int = 200, hx: str = "", **kw: Any
    ) -> Any:
        """One request, checked: the exact status, ``marker`` in the body, a partial (``hx`` names the
        HX-Target) not a whole page. Remembers the page's CSRF token."""
        if STOPPING:
            raise StopUser()
        rid = f"load.{key}.{uuid.uuid4().hex[:12]}"
        headers = {"X-Request-ID": rid}
        if hx:
            headers |= {"HX-Request": "true", "HX-Target": hx}
        SENT[key] += 1
        IN_FLIGHT[key] += 1
        try:
            with self.client.request(
                method,
                url,
                name=key,
                headers=headers,
                allow_redirects=False,
                timeout=TIMEOUT,
                catch_response=True,
                context={"rid": rid},
                **kw,
            ) as resp:
                if resp.status_code != expect:
                    resp.failure(f"HTTP {resp.status_code} (expected {expect})")
                elif marker is not None and marker not in resp.text:
                    resp.failure(f"marker {marker!r} missing")
                elif hx and "<html" in resp.text:
                    resp.failure("a whole page for an HTMX request")
                found = CSRF.search(resp.text or "")
                if found:
                    self.csrf = found.group(1) or found.group(2)
                return resp
        finally:
            IN_FLIGHT[key] -= 1

    def login(self) -> None:
        """The real form: GET it (CSRF token), POST it; a 303 to the role's home."""
        if self.call("login.form", "GET", "/login", 'name="csrf_token"').status_code != 200:
            return
        form = {"email": self.email, "password": PASSWORD, "csrf_token": self.csrf}
        resp = self.call("login.post", "POST", "/login", None, expect=303, data=form)
        if resp.status_code == 303 and not resp.headers.get("Location", "").endswith(self.home):
            resp.failure(f"logged in to {resp.headers.get('Location')!r}, not {self.home!r}")
        self.landing()  # the browser follows the 303 to the role's home (a new session: a new CSRF token)

    def landing(self) -> None:
        raise NotImplementedError

    @task(1)
    def relogin(self) -> None:
        """Log out (POST with the page's CSRF token), then in again: a new session (1 task in ~40: about
        once every 1-2 minutes per user, on top of every user's login when it starts)."""
        self.call("logout", "POST", "/logout", None, expect=303, data={"csrf_token": self.csrf})
        self.login()


class ClientUser(Dashboard):
    """A client: the overview, its chart partials, the platform page and its table, notifications."""

    role = "client"
    home = "/portal"
    platforms: dict[str, str] = {}

    def landing(self) -> None:
        self.overview()

    @task(9)
    def overview(self) -> None:
        self.call("client.overview", "GET", "/portal", 'id="growth-chart"')

    @task(6)
    def growth(self) -> None:
        r = RNG.choice(["7d", "30d", "90d", "all"])
        self.call("client.growth", "GET", f"/portal/analytics?range={r}", 'id="growth-chart"', hx="growth-chart")

    @task(6)
    def metric(self) -> None:
        m = RNG.choice(["engagement", "reach", "posts"])
        url = f"/portal/analytics?range=30d&metric={m}"
        self.call("client.metric", "GET", url, 'id="metric-chart"', hx="metric-chart")

    @task(6)
    def platform(self) -> None:
        url = f"/portal/analytics/{self.platforms[self.email]}?range=30d"
        self.call("client.platform", "GET", url, 'id="content-table"')

    @task(3)
    def content(self) -> None:
        url = f"/portal/analytics/{self.platforms[self.email]}?range=90d&sort={RNG.choice(['engaged', 'views'])}"
        self.call("client.content", "GET", url, 'id="content-table"', hx="content-table")

    @task(3)
    def notifications(self) -> None:
        self.call("client.notifications", "GET", "/portal/notifications", 'id="notifications"', hx="notifications")

    @task(9)
    def badge(self) -> None:
        self.call("client.badge", "GET", "/portal/notifications/badge", 'id="alerts-badge"')


class StaffUser(Dashboard):
    """A coach or an admin: the client list, a client's page, the portfolio, the alert feed and badge."""

    abstract = True
    home = "/admin/clients"

    def on_start(self) -> None:
        self.client_ids: list[str] = []
        super().on_start()

    def landing(self) -> None:
        self.client_list()

    @task(6)
    def client_list(self) -> None:
        resp = self.call(f"{self.role}.clients", "GET", "/admin/clients", 'id="client-table"')
        self.client_ids = re.findall(r'href="/admin/clients/(\d+)"', resp.text or "") or self.client_ids

    @task(12)
    def client_page(self) -> None:
        if self.client_ids:
            self.call(f"{self.role}.client", "GET", f"/admin/clients/{RNG.choice(self.client_ids)}", "</html>")

    @task(9)
    def portfolio(self) -> None:
        r = RNG.choice(["7d", "30d", "30d", "90d"])
        self.call(f"{self.role}.portfolio", "GET", f"/admin/portfolio?range={r}", 'id="portfolio-body"')

    @task(6)
    def alerts(self) -> None:
        self.call(f"{self.role}.alerts", "GET", "/admin/alerts", 'id="alerts-feed"')

    @task(9)
    def badge(self) -> None:
        self.call(f"{self.role}.badge", "GET", "/admin/alerts/badge", 'id="alerts-badge"')


class CoachUser(StaffUser):
    role = "coach"


class AdminUser(StaffUser):
    role = "admin"


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the users for ``spec["seconds"]``; the raw response times, statuses and failures per page."""
    global RNG, TIMEOUT, PASSWORD, STOPPING
    RNG, TIMEOUT, PASSWORD = random.Random(spec["seed"]), float(spec["timeout"]), spec["password"]
    Dashboard.wait_time = between(float(spec["think_min"]), float(spec["think_max"]))
    ClientUser.emails = [email for email, _ in spec["clients"]]
    ClientUser.platforms = dict(spec["clients"])
    CoachUser.emails = list(spec["coaches"])
    AdminUser.emails = list(spec["admins"])
    classes: list[type[Dashboard]] = []
    for cls in (ClientUser, CoachUser, AdminUser):
        cls.fixed_count = len(cls.emails)
        if cls.fixed_count:
            classes.append(cls)

    times: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    failures: Counter[tuple[str, str]] = Counter()

    timeline: list[tuple[float, float, bool, str]] = []  # (start, response time, failed, request id)

    def on_request(
        name: str,
        response_time: float,
        response: Any = None,
        exception: Any = None,
        start_time: float = 0.0,
        context: Any = None,
        **_: Any,
    ) -> None:
        times[name].append(response_time)
        rid = (context or {}).get("rid", "")
        timeline.append((round(start_time, 3), response_time, exception is not None, rid))
        statuses[name][str(getattr(response, "status_code", 0) or 0)] += 1
        if exception is not None:
            failures[(name, f"{type(exception).__name__}: {str(exception)[:160]}")] += 1

    def on_user_error(user_instance: Any, exception: Exception, tb: Any, **_: Any) -> None:
        """An exception raised in a task (not by a request): the bench's own bug, counted as an error."""
        failures[("task error", f"{type(exception).__name__}: {str(exception)[:160]}")] += 1

    env = Environment(user_classes=list(classes), host=spec["host"])
    env.events.request.add_listener(on_request)
    env.events.user_error.add_listener(on_user_error)
    runner = env.create_local_runner()
    # ready: locust is imported and the users built; the parent queues the fan-out, then says go
    Path(spec["out"] + ".ready").touch()
    while not Path(spec["out"] + ".go").exists():
        gevent.sleep(0.05)
    started = time.time()
    runner.start(sum(c.fixed_count for c in classes), spawn_rate=float(spec["spawn_rate"]))
    Path(spec["out"] + ".started").touch()  # the parent reads its CPU counters at these two marks
    gevent.sleep(float(spec["seconds"]))
    stop_at = time.time()
    Path(spec["out"] + ".stopped").touch()
    # The end: no new request; the ones in flight finish (or time out) and are counted, then the users stop
    # (locust's own stop_timeout was seen to drop a request in flight now and then).
    STOPPING = True
    while +IN_FLIGHT and time.time() < stop_at + TIMEOUT + 5:
        gevent.sleep(0.05)
    unfinished = dict(+IN_FLIGHT)
    runner.quit()
    return {
        "locust": VERSION,
        "started": started,
        "stop_at": stop_at,
        "ended": time.time(),
        "users": {c.role: c.fixed_count for c in classes},
        "times": times,
        "timeline": timeline,
        "statuses": statuses,
        "failures": [[name, reason, n] for (name, reason), n in failures.most_common()],
        "sent": SENT,
        "unfinished": unfinished,
    }


if __name__ == "__main__":
    setup_logging("INFO")  # locust's own warnings and task tracebacks, to the log the parent keeps
    spec = json.loads(Path(sys.argv[1]).read_text())
    Path(spec["out"]).write_text(json.dumps(run(spec)))
