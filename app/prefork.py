"""A pre-forking supervisor: one parent pays the start-up once, N forked children do the work.

Why: a ``python worker.py`` process spends ~1.3-2.5 s of CPU starting (imports, ``create_app``, RQ);
twelve sync workers starting on 2 cores paid 18-30 s of CPU, 12-20 % of the initial-sync benchmark
(bench/README.md, sync, "Sync CPU, third pass"). ``worker.py --processes N`` imports everything, builds
the app and runs the preflight once in this parent, then forks the N workers from it; the children also
share the parent's pages (imported modules, the PDF fonts of a reports worker) until they write to them.

Why not RQ's own ``rq.worker_pool.WorkerPool`` (RQ 2.12): its children build their worker from a fixed
argument list (no ``worker_ttl``, monitoring or maintenance interval, no subclass state such as the
app), it installs its stop handlers only after forking the first children (a SIGTERM in between kills
the parent and leaves them running), it checks its children by joining each for 0.1 s in turn, and a
child outlives a SIGKILLed parent. This supervisor is small and does only what the worker needs:

* the parent blocks SIGCHLD, SIGTERM and SIGINT and waits for them with ``sigtimedwait`` (no handler
  races, no polling beyond a 1 s tick for delayed respawns);
* ``before_fork`` runs before every fork (``worker.py`` disposes of the pooled DB and Redis
  connections there: none may cross the fork);
* a child that dies (SIGKILL, the OOM killer, a crash) is replaced; one that died within
  ``QUICK_DEATH_S`` of its start is replaced after a growing delay (1, 2, 4 ... 30 s), so a broken
  Redis does not turn into a fork loop. Its job is found abandoned by the other workers' registry
  maintenance and retried, as a killed ``worker.py``'s job always was;
* each child runs in a session of its own (``setsid``, below);
* the first SIGTERM or SIGINT to the parent is forwarded as SIGTERM to every child (RQ's warm shutdown:
  a running job finishes, no new one is taken); a second one, a second or more later, is forwarded too
  (RQ's cold shutdown; RQ ignores a duplicate within a second, so a SIGTERM sent to every process
  at once, as systemd's default ``KillMode`` does, is still one request). The parent exits once every child has;
* each child asks Linux to send it SIGTERM when the parent dies (``PR_SET_PDEATHSIG``), so a SIGKILLed
  parent leaves no worker behind either: the children warm-shut-down on their own;
* the parent is a child subreaper (``PR_SET_CHILD_SUBREAPER``): what a killed worker leaves behind (its
  work-horse, RQ's scheduler process) is adopted by the parent, not by init, and sent SIGTERM at once.
  A killed ``worker.py`` left its scheduler running, holding RQ's scheduler lock; here the horse dies
  with its worker, as when a whole ``worker.py`` process group is killed, and its job is retried.

No app import here: the parent's job is only forking and waiting.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

#: a child that lived less than this was probably broken at start: its replacement waits
QUICK_DEATH_S = 5.0
MAX_RESPAWN_DELAY_S = 30.0
_WAITED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
#: how long adopted orphans get to end after SIGTERM when the pool stops, before SIGKILL
ORPHAN_GRACE_S = 10.0


@dataclass
class Pool:
    """``processes`` children, each running ``child()`` (its return value is the child's exit code)."""

    processes: int
    child: Callable[[], int]
    before_fork: Callable[[], None] = lambda: None
    burst: bool = False  # children exit when the queues are empty: none is replaced, the parent ends with the last
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("app.prefork"))
    children: dict[int, float] = field(default_factory=dict)  # pid -> monotonic start
    stop_requests: int = 0
    _quick_deaths: int = 0
    _next_spawn: float = 0.0
    _last_stop: float = 0.0
    _started_all: bool = False  # every child has been forked once (burst: no more are)
    _others: set[int] = field(default_factory=set)  # children the parent had before the pool (not ours to stop)

    def run(self) -> int:
        """Fork the children, keep their number, stop them on SIGTERM/SIGINT; returns 0 once all are gone."""
        previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WAITED)
        # also handlers: a signal delivered to another thread of the parent (if any) is then recorded by
        # the main thread, not the default action (SIGTERM would end the parent and orphan the children)
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        self._others = {c.pid for c in psutil.Process().children()}  # e.g. an embedded redis-server
        try:
            self.log.info(
                "worker pool: forking %d workers from pid %d",
                self.processes,
                os.getpid(),
                extra={"event": "pool_started", "processes": self.processes},
            )
            while True:
                self._reap()
                if not self.children and (self.stop_requests or (self.burst and self._started_all)):
                    break
                if not self.stop_requests:
                    self._top_up(previous_mask)
                info = signal.sigtimedwait(_WAITED, 1.0)
                if info is not None and info.si_signo in (signal.SIGTERM, signal.SIGINT):
                    self._request_stop(info.si_signo)
            self._stop_orphans(wait=ORPHAN_GRACE_S)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        self.log.info("worker pool: every worker has stopped", extra={"event": "pool_stopped"})
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:
        self._request_stop(signum)

    def _request_stop(self, signum: int) -> None:
        now = time.monotonic()
        if self.stop_requests and now - self._last_stop < 1.0:
            return  # the same request twice within a second: RQ would ignore it too
        self.stop_requests += 1
        self._last_stop = now
        kind = "warm" if self.stop_requests == 1 else "cold"
        self.log.info(
            "worker pool: %s, %s shutdown of %d workers",
            signal.Signals(signum).name,
            kind,
            len(self.children),
            extra={"event": "pool_stopping", "shutdown": kind},
        )
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            if started is None:
                continue
            lived = time.monotonic() - started
            if os.WIFSIGNALED(status):
                how = f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
            else:
                how = f"exit code {os.waitstatus_to_exitcode(status)}"
            expected = self.stop_requests or (self.burst and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
            self.log.log(
                logging.INFO if expected else logging.WARNING,
                "worker pool: worker %d ended (%s) after %.0f s",
                pid,
                how,
                lived,
                extra={"event": "pool_worker_ended", "pid": pid, "how": how},
            )
            if lived < QUICK_DEATH_S and not expected:
                self._quick_deaths += 1
                delay = min(MAX_RESPAWN_DELAY_S, 2.0 ** (self._quick_deaths - 1))
                self._next_spawn = time.monotonic() + delay
            elif not expected:
                self._quick_deaths = 0
            if not expected:
                self._stop_orphans()

    def _stop_orphans(self, wait: float = 0.0) -> None:
        """SIGTERM what dead workers left behind (adopted by this subreaper); with ``wait``, reap them and
        SIGKILL what is still there after it."""
        orphans = [c for c in psutil.Process().children() if c.pid not in self.children and c.pid not in self._others]
        for orphan in orphans:
            with contextlib.suppress(psutil.Error):
                if orphan.status() == psutil.STATUS_ZOMBIE:
                    continue
                self.log.warning(
                    "worker pool: stopping %s (pid %d), left behind by a dead worker",
                    orphan.name(),
                    orphan.pid,
                    extra={"event": "pool_orphan_stopped", "pid": orphan.pid},
                )
                orphan.terminate()
        if wait and orphans:
            _gone, alive = psutil.wait_procs(orphans, timeout=wait)
            for proc in alive:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            psutil.wait_procs(alive, timeout=wait)

    def _top_up(self, mask: set[int | signal.Signals]) -> None:
        if self.burst and self._started_all:
            return
        while len(self.children) < self.processes and time.monotonic() >= self._next_spawn:
            self._spawn(mask)
        if len(self.children) >= self.processes:
            self._started_all = True

    def _spawn(self, mask: set[int | signal.Signals]) -> None:
        self.before_fork()
        # the parent's objects into the collector's permanent generation: the children's collections
        # then neither walk them (CPU) nor write to their headers (pages stay shared); Python's gc docs
        gc.freeze()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's loop
            code = 1
            try:
                for s in (signal.SIGTERM, signal.SIGCHLD):
                    signal.signal(s, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                # a session of its own, as N separately started workers would have: a Ctrl-C in the terminal
                # reaches only the parent (which passes it on once), and where the kernel shares the CPU by
                # session (autogroup) each worker keeps the share a separate process had, not 1/N of one
                os.setsid()
                _die_with(parent)
                code = self.child()
            except SystemExit as exc:  # RQ's cold shutdown raises SystemExit()
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except KeyboardInterrupt:  # a Ctrl-C before RQ installed its handlers: nothing was taken yet
                code = 0
            except BaseException:  # noqa: BLE001 - logged; the parent replaces this child
                self.log.exception("worker pool: worker crashed", extra={"event": "pool_worker_crashed"})
            finally:
                with contextlib.suppress(Exception):
                    logging.shutdown()
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)
        self.children[pid] = time.monotonic()
        self.log.info("worker pool: started worker %d", pid, extra={"event": "pool_worker_started", "pid": pid})


def _prctl(option: int, value: int) -> None:
    """Linux's prctl(2); elsewhere nothing (the pool then works without these two safeguards)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _die_with(parent: int) -> None:
    """SIGTERM this child when the parent dies; if it already has, stop now."""
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != parent:
        raise SystemExit(0)
