"""Read-only analytics: one parsed ``StatsQuery`` -> typed results. Every number the product shows is
computed here, following ``docs/metrics.md``; views, charts, templates and the JSON API only format.
"""
