"""Demo data for ``flask demo`` (and so ``make run``): what a new user sees on the first start.

* ``people.py``: the admin, the coaches and a dozen clients with their programmes and deliverables,
  derived from fixed inputs and today's date;
* ``connections.py``: some of those clients connect demo creators of the platform sandbox through the
  product's real OAuth round trip, and their history is imported;
* ``fans.py``: tactic tags on the demo posts and one fan who links two platforms through the link page
  (fans themselves come from the comments the sync reads).

The creators themselves live in the sandbox (``app/sandbox``), which this package only reaches over
HTTP, like the product reaches the real platforms.
"""
