"""Asking for work to be done later: the queues and one function per kind of job.

This package sits low in the layers (below ``services``, ``sync``, ``alerts`` and ``reports``) so any of
them can queue work without importing the job bodies in ``app/jobs``, which sit above them all:

* ``queues.py``: the queue names and the one way to enqueue (explicit timeouts, TTLs, retries, unique
  ids), cancelling, and the worker's heartbeat TTL;
* ``dispatch.py``: one function per job the app queues (a sync now or later, an alert evaluation, an
  email delivery, a data deletion, a report), each naming its entry point in ``app/jobs`` by dotted
  path, so the job ids and retry policies are written once.
"""
