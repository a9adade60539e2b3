"""Names of the HTMX events the server triggers (HX-Trigger) and the pages listen for."""

TOAST = "toast"  # {"message": str, "level": "info"|"success"|"error"}
CLIENT_UPDATED = "client-updated"  # a client's program or deliverables changed
ALERTS_CHANGED = "alerts-changed"  # alerts were read (or raised): the feed and badges re-fetch
