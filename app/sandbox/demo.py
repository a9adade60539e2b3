"""The demo world: a set of realistic sandbox creators across Instagram, TikTok, YouTube, Facebook Pages,
LinkedIn and X.

``demo_accounts()`` returns the specs (control-API bodies for ``POST /_sandbox/accounts``);
``seed_demo(base_url)`` posts them to a running sandbox (the product's ``flask demo`` calls it);
``seed_world(state)`` creates them, with comment streams on their newest posts, in-process
(``create_app({"DEMO": True})`` / ``SANDBOX_DEMO=1``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .audience import Story, validate_story
from .util import digits
from .world import make_daily_changes

HISTORY_DAYS = 365

# (platform, username, display name, followers today, trajectory, seed, extras)
_CREATORS: list[tuple[str, str, str, int, str, int, dict[str, Any]]] = [
    ("instagram", "maya.moves", "Maya Moves - Fitness", 48_200, "growth", 101, {"post_every_days": 2.0}),
    ("instagram", "chef.lena", "Chef Lena", 12_400, "plateau", 102, {}),
    ("instagram", "studio.kofi", "Studio Kofi", 31_000, "spike", 103, {"post_every_days": 3.0}),
    ("instagram", "tinyplants", "Tiny Plants Club", 860, "new", 104, {"post_every_days": 4.0}),
    ("instagram", "urban.sketch", "Urban Sketch", 23_100, "decline", 105, {"post_every_days": 5.0}),
    ("instagram", "nomad.nina", "Nina the Nomad", 6_050, "stalled", 106, {"posting_paused_days": 75}),
    ("instagram", "personal.pat", "Pat (personal)", 410, "growth", 107, {"account_type": "PERSONAL"}),
    # a TikTok business account: its audience and daily insights come from the API for Business
    ("tiktok", "danceduo", "Dance Duo", 212_000, "spike", 201, {"post_every_days": 1.2, "account_type": "BUSINESS"}),
    ("tiktok", "codewithkai", "Code with Kai", 35_400, "growth", 202, {}),
    ("tiktok", "grandma.bakes", "Grandma Bakes", 2_400, "new", 203, {"post_every_days": 3.0}),
    ("tiktok", "retro.gamer", "Retro Gamer", 81_000, "decline", 204, {"post_every_days": 2.5}),
    ("tiktok", "quiet.crafts", "Quiet Crafts", 4_100, "stalled", 205, {"posting_paused_days": 60}),
    ("youtube", "leobuilds", "Leo Builds", 121_000, "growth", 301, {}),
    ("youtube", "budgetbites", "Budget Bites", 45_300, "plateau", 302, {"post_every_days": 10.0}),
    ("youtube", "astro.ana", "Astro Ana", 18_200, "spike", 303, {"shorts_every_days": 3.0}),
    ("youtube", "oldschooltech", "Old School Tech", 302_000, "decline", 304, {"post_every_days": 14.0}),
    ("youtube", "pixelpaints", "Pixel Paints", 3_250, "stalled", 305, {"posting_paused_days": 90}),
    # Facebook Pages: Kenji manages one Page; Hannah manages two (her login goes through the Page picker)
    ("facebook", "kenjicooks", "Kenji Cooks", 27_500, "growth", 401, {"owner": "Kenji Sato"}),
    ("facebook", "lena.kitchen.live", "Chef Lena Live", 9_300, "plateau", 402, {"owner": "Hannah Berg"}),
    ("facebook", "lena.supperclub", "Lena's Supper Club", 1_150, "new", 403, {"owner": "Hannah Berg"}),
    ("linkedin", "rosa.leads", "Rosa Alvarez - Leadership", 8_900, "growth", 501, {"post_every_days": 3.0}),
    ("linkedin", "northwind.hr", "Northwind HR (page admin)", 2_300, "plateau", 502, {"account_type": "ADMINISTRATOR"}),
    ("x", "kai_codes", "Kai <Codes> & Ships", 9_800, "growth", 501, {"post_every_days": 1.0}),
    ("x", "lena_cooks", "Lena Cooks", 2_900, "plateau", 502, {"post_every_days": 2.0}),
]


#: LinkedIn Company Pages of demo members (``linkedin/orgs.py``): Northwind's admin administers two, so
#: a LinkedIn login goes through the Page picker; the first Page has all of the member's followers
DEMO_ORGANIZATIONS: dict[str, list[dict[str, Any]]] = {
    "northwind.hr": [
        {
            "id": "10480021",
            "name": "Northwind HR",
            "vanity": "northwind-hr",
            "followers_percent": 100,
            # a rich audience, so the demo's LinkedIn page shows every part of its Audience section
            "audience": {
                "countries": [
                    {"code": "US", "share": 38},
                    {"code": "GB", "share": 17},
                    {"code": "DE", "share": 12},
                    {"code": "NL", "share": 9},
                    {"code": "IN", "share": 8},
                    {"code": "CA", "share": 7},
                    {"code": "FR", "share": 5},
                    {"code": "ES", "share": 4},
                ],
                "regions": [
                    {"geo": "90000070", "share": 30},
                    {"geo": "90009496", "share": 26},
                    {"geo": "90009714", "share": 18},
                    {"geo": "90000084", "share": 14},
                    {"geo": "90009551", "share": 12},
                ],
                "seniority": {"3": 18, "4": 31, "5": 22, "6": 14, "7": 6, "8": 4, "10": 5},
                "industries": {"137": 29, "104": 21, "4": 14, "96": 11, "11": 9, "43": 7, "14": 5, "68": 4},
                "functions": {"12": 41, "4": 12, "18": 10, "25": 9, "13": 8, "15": 7, "1": 5, "6": 8},
                "company_sizes": {
                    "SIZE_2_TO_10": 6,
                    "SIZE_11_TO_50": 14,
                    "SIZE_51_TO_200": 21,
                    "SIZE_201_TO_500": 17,
                    "SIZE_501_TO_1000": 12,
                    "SIZE_1001_TO_5000": 15,
                    "SIZE_10001_OR_MORE": 15,
                },
                "employees": 46,
            },
        },
        {"id": "10480022", "name": "Northwind Careers", "vanity": "northwind-careers", "followers_percent": 20},
    ],
}


#: creators whose growth picks up in the 28 days after a day (days ago): the demo client connected to them
#: completes M3 "Short-form video system" that day (app/demo/people.py derives the same day from the
#: client's weeks in the programme; a test keeps the two agreeing), so the impact page shows M3's effect
BOOSTS: dict[str, int] = {
    "maya.moves": 59,  # Sofia: 20 weeks in, M3 due week 12, completed 3 days early
    "leobuilds": 59,
    "astro.ana": 31,  # Mateo: 16 weeks in (his declining retro.gamer keeps declining)
    "budgetbites": 73,  # Olu: 22 weeks in (likewise urban.sketch)
    "oldschooltech": 129,  # Lucas: 30 weeks in
}


def demo_accounts() -> list[dict[str, Any]]:
    """The demo creators as control-API account specs (history ending on the sandbox's today)."""
    specs = []
    for platform, username, name, followers, trajectory, seed, extras in _CREATORS:
        boost = BOOSTS.get(username)
        spec: dict[str, Any] = {
            "platform": platform,
            "username": username,
            "display_name": name,
            "followers": followers,
            "daily_changes": make_daily_changes(trajectory, followers, HISTORY_DAYS, seed, boost),
            "seed": seed,
        }
        if platform == "instagram" and "account_type" not in extras:
            spec["account_type"] = "BUSINESS" if seed % 2 else "MEDIA_CREATOR"
        spec.update(extras)
        specs.append(spec)
    return specs


#: demo Instagram creators with contact buttons on their profile: taps a day per button (the Instagram
#: page's "Contact button taps"); the others have none, as most creators
DEMO_CONTACT_BUTTONS: dict[str, dict[str, int]] = {
    "maya.moves": {"EMAIL": 5, "CALL": 2},
    "studio.kofi": {"BOOK_NOW": 3, "DIRECTION": 1, "EMAIL": 1},
}

#: the demo Facebook Pages' followers by country and city (``page_follows_country`` / ``_city``): Kenji's
#: Japanese cooking Page, Hannah's live-cooking Page in North America; the third Page keeps its seed's
DEMO_PAGE_PLACES: dict[str, dict[str, Any]] = {
    "kenjicooks": {
        "countries": [
            {"code": "JP", "share": 41},
            {"code": "US", "share": 22},
            {"code": "BR", "share": 9},
            {"code": "PH", "share": 7},
            {"code": "GB", "share": 6},
            {"code": "CA", "share": 5},
            {"code": "AU", "share": 4},
            {"code": "DE", "share": 3},
            {"code": "FR", "share": 2},
            {"code": "SG", "share": 1},
        ],
        "cities": [
            {"name": "Tokyo, Tokyo", "share": 34},
            {"name": "Osaka, Osaka", "share": 18},
            {"name": "Los Angeles, California", "share": 14},
            {"name": "Sao Paulo, Sao Paulo", "share": 12},
            {"name": "Honolulu, Hawaii", "share": 12},
            {"name": "Manila, Metro Manila", "share": 10},
        ],
    },
    "lena.kitchen.live": {
        "countries": [
            {"code": "US", "share": 46},
            {"code": "CA", "share": 14},
            {"code": "GB", "share": 11},
            {"code": "DE", "share": 9},
            {"code": "AU", "share": 6},
            {"code": "IE", "share": 5},
            {"code": "NL", "share": 5},
            {"code": "NZ", "share": 4},
        ],
        "cities": [
            {"name": "New York, New York", "share": 30},
            {"name": "Toronto, Ontario", "share": 18},
            {"name": "Chicago, Illinois", "share": 16},
            {"name": "London, England", "share": 14},
            {"name": "Boston, Massachusetts", "share": 12},
            {"name": "Berlin, Berlin", "share": 10},
        ],
    },
}


def demo_audience(username: str) -> dict[str, Any]:
    """The audience truth a demo creator gets over its seed's default (contact buttons, Page places)."""
    out: dict[str, Any] = dict(DEMO_PAGE_PLACES.get(username, {}))
    if username in DEMO_CONTACT_BUTTONS:
        out["contact_buttons"] = dict(DEMO_CONTACT_BUTTONS[username])
    return out


#: hours ago and media type of each demo Instagram creator's live stories (views scale with followers)
DEMO_STORIES = ((2, "IMAGE", 0.06), (7, "VIDEO", 0.09), (19, "IMAGE", 0.04))


def demo_stories(followers: int) -> list[tuple[int, dict[str, Any]]]:
    """(hours ago, control-API story spec) for a demo Instagram creator: three live stories."""
    return [
        (hours, {"media_type": kind, "views": max(3, int(followers * share))}) for hours, kind, share in DEMO_STORIES
    ]


def seed_demo(base_url: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """POST the demo creators to a running sandbox; returns the created accounts (201 bodies)."""
    import requests

    created = []
    base = base_url.rstrip("/")
    for spec in demo_accounts():
        resp = requests.post(f"{base}/_sandbox/accounts", json=spec, timeout=timeout)
        resp.raise_for_status()
        created.append(resp.json())
        if spec["username"] in DEMO_ORGANIZATIONS:
            url = f"{base}/_sandbox/linkedin/accounts/{created[-1]['id']}/organizations"
            body = {"organizations": DEMO_ORGANIZATIONS[spec["username"]]}
            requests.put(url, json=body, timeout=timeout).raise_for_status()
        if audience := demo_audience(spec["username"]):
            url = f"{base}/_sandbox/accounts/{created[-1]['id']}"
            requests.patch(url, json={"audience": audience}, timeout=timeout).raise_for_status()
        if spec["platform"] == "instagram" and spec.get("account_type") != "PERSONAL":
            now = datetime.fromisoformat(requests.get(f"{base}/_sandbox/clock", timeout=timeout).json()["now"])
            for hours, story in demo_stories(spec["followers"]):
                published = (now - timedelta(hours=hours)).isoformat()
                url = f"{base}/_sandbox/accounts/{created[-1]['id']}/stories"
                requests.post(url, json={**story, "published_at": published}, timeout=timeout).raise_for_status()
    return created


def seed_world(state: Any) -> list[str]:
    """Create the demo creators directly in a ``SandboxState`` (no HTTP). Returns the account ids."""
    from .comments import seed_comments

    ids = []
    with state.lock:
        for spec in demo_accounts():
            acc = state.create_account(spec)
            ids.append(acc.id)
            if spec["username"] in DEMO_ORGANIZATIONS:
                acc.organizations = [
                    dict(o, role="ADMINISTRATOR", state="APPROVED") for o in DEMO_ORGANIZATIONS[spec["username"]]
                ]
            acc.audience_override.update(demo_audience(spec["username"]))
            if spec["platform"] == "instagram" and spec.get("account_type") != "PERSONAL":
                now = state.now()
                for n, (hours, story) in enumerate(demo_stories(spec["followers"])):
                    fields = validate_story({**story, "published_at": (now - timedelta(hours=hours)).isoformat()}, now)
                    acc.stories.append(Story(id="179" + digits(14, acc.seed, "demo-story", n), **fields))
            if (
                acc.platform in ("youtube", "facebook")
                or (acc.platform == "instagram" and acc.account_type != "PERSONAL")
                or (acc.platform == "tiktok" and acc.account_type == "BUSINESS")  # API for Business comments
            ):
                seed_comments(state.comments, acc, acc.posts_at(state.now()), state.now(), state.next)
            elif acc.platform == "linkedin" and acc.organizations:  # a Page's posts: answered as the Page
                page = f"urn:li:organization:{acc.organizations[0]['id']}"
                seed_comments(state.comments, acc, acc.posts_at(state.now()), state.now(), state.next, page)
    return ids
