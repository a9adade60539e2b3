"""The sync engine (issue 5): one job per connection runs that platform's cheapest call plan, under a
per-connection lock, within per-platform budgets shared by all workers, and writes the result by
upsert in one transaction. See ``docs/sync.md``.

Modules: ``engine`` (one sync, classification, rescheduling), ``plans`` (what to call per platform),
``storage`` (upserts, backfill, imports), ``aging`` (which posts get a metric snapshot today),
``recorder`` (counts calls and quota units, keeps scrubbed raw responses), ``quotas`` (shared budgets
and concurrency), ``backoff``, ``breaker``, ``locks``.
"""
