"""pygal SVG charts built from ``app.stats`` results: one style, no CDN script, cached per query."""
