"""Alerts: rules over the stats layer, database-enforced dedup and cooldowns, fan-out, emails, feed.

``rules`` decides what fires (pure functions of a ``History`` and posts), ``causes`` explains declines,
``service`` records alerts and queues their emails in one transaction, ``feed`` serves the pages,
``digest`` sends the daily digest. See docs/alerts.md.
"""
