"""RQ job entry points: small functions taking ids, run inside the worker's app context."""
