"""Demo data for ``flask demo`` (and so ``make run``): what a new user sees on the first start.

* ``people.py``: the admin, the coaches and a dozen clients with their programmes and deliverables,
  derived from fixed inputs and today's date;
* ``connections.py``: some of those clients connect demo creators of the platform sandbox through the
  product's real OAuth round trip, and their history is imported.

The creators themselves live in the sandbox (``app/sandbox``), which this package only reaches over
HTTP, like the product reaches the real platforms.
"""
