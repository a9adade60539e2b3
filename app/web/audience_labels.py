"""Words for the audience values the platforms report as codes (issue 18, "pages people enjoy").

The stored audience keeps each platform's own keys (``RELATED_VIDEO``, ``DESKTOP``, ``IN``, ``female``)
so that a snapshot reads the same whatever we call it later; the pages, the CRM client page and the
reports show these words instead. Country names come from Babel's CLDR data in the reader's locale
(``IN`` is "India" in English, "Inde" in French); an unknown key is shown as the platform gave it, made
readable (``SOME_NEW_SOURCE`` -> "Some new source"), never dropped. LinkedIn's seniority, job function
and company-size ids are named by the tables below; one the table lacks, and the ``other`` bucket of
values LinkedIn did not name, read "Other ..." (never a raw URN or id).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

__all__ = ["audience_group", "audience_label"]

# YouTube Analytics ``insightTrafficSourceType`` values, named as YouTube Studio names them
TRAFFIC_SOURCES: dict[str, str] = {
    "ADVERTISING": "YouTube advertising",
    "ANNOTATION": "Cards and annotations",
    "CAMPAIGN_CARD": "Campaign cards",
    "END_SCREEN": "End screens",
    "EXT_URL": "External sites and apps",
    "HASHTAGS": "Hashtag pages",
    "IMMERSIVE_LIVE": "Live redirects",
    "LIVE_REDIRECT": "Live redirects",
    "NO_LINK_EMBEDDED": "Embedded players",
    "NO_LINK_OTHER": "Direct or unknown",
    "NOTIFICATION": "Notifications",
    "PLAYLIST": "Playlists",
    "PRODUCT_PAGE": "Product pages",
    "PROMOTED": "Promotions",
    "RELATED_VIDEO": "Suggested videos",
    "SHORTS": "Shorts feed",
    "SHORTS_CONTENT_LINKS": "Links in Shorts",
    "SOUND_PAGE": "Sound pages",
    "SUBSCRIBER": "Browse features (home, subscriptions)",
    "VIDEO_REMIXES": "Remixes",
    "YT_CHANNEL": "Channel pages",
    "YT_OTHER_PAGE": "Other YouTube features",
    "YT_PLAYLIST_PAGE": "Playlist pages",
    "YT_SEARCH": "YouTube search",
}

# YouTube Analytics ``deviceType`` values
DEVICES: dict[str, str] = {
    "DESKTOP": "Computer",
    "GAME_CONSOLE": "Game console",
    "MOBILE": "Phone",
    "TABLET": "Tablet",
    "TV": "TV",
    "UNKNOWN_PLATFORM": "Unknown",
}

GENDERS: dict[str, str] = {"female": "Female", "male": "Male", "other": "Other or not given"}

CONTENT_TYPES: dict[str, str] = {"shorts": "Shorts", "long_form": "Long-form videos"}

# Instagram ``contact_button_type`` values (taps on the profile's contact buttons)
CONTACT_BUTTONS: dict[str, str] = {
    "BOOK_NOW": "Book now",
    "CALL": "Call",
    "DIRECTION": "Get directions",
    "EMAIL": "Email",
    "INSTANT_EXPERIENCE": "Instant experience",
    "TEXT": "Text message",
    "UNDEFINED": "Other buttons",
}

# LinkedIn's standardized seniorities (``urn:li:seniority:<id>``), job functions (``urn:li:function:<id>``)
# and company sizes (``staffCountRange``), as LinkedIn names them; an id not here is shown as "Other ..."
SENIORITIES: dict[str, str] = {
    "1": "Unpaid",
    "2": "Training",
    "3": "Entry",
    "4": "Senior",
    "5": "Manager",
    "6": "Director",
    "7": "Vice President",
    "8": "CXO",
    "9": "Partner",
    "10": "Owner",
}
FUNCTIONS: dict[str, str] = {
    "1": "Accounting",
    "2": "Administrative",
    "3": "Arts and Design",
    "4": "Business Development",
    "5": "Community and Social Services",
    "6": "Consulting",
    "7": "Education",
    "8": "Engineering",
    "9": "Entrepreneurship",
    "10": "Finance",
    "11": "Healthcare Services",
    "12": "Human Resources",
    "13": "Information Technology",
    "14": "Legal",
    "15": "Marketing",
    "16": "Media and Communication",
    "17": "Military and Protective Services",
    "18": "Operations",
    "19": "Product Management",
    "20": "Program and Project Management",
    "21": "Purchasing",
    "22": "Quality Assurance",
    "23": "Real Estate",
    "24": "Research",
    "25": "Sales",
    "26": "Customer Success and Support",
}
COMPANY_SIZES: dict[str, str] = {
    "SIZE_1": "1 employee (self-employed)",
    "SIZE_2_TO_10": "2-10 employees",
    "SIZE_11_TO_50": "11-50 employees",
    "SIZE_51_TO_200": "51-200 employees",
    "SIZE_201_TO_500": "201-500 employees",
    "SIZE_501_TO_1000": "501-1,000 employees",
    "SIZE_1001_TO_5000": "1,001-5,000 employees",
    "SIZE_5001_TO_10000": "5,001-10,000 employees",
    "SIZE_10001_OR_MORE": "10,001+ employees",
}
#: what a value LinkedIn did not name (or the app does not know) is called, per group; never a raw id
OTHER: dict[str, str] = {
    "countries": "Other or unknown countries",
    "regions": "Other regions",
    "seniority": "Other seniority",
    "industries": "Other industries",
    "functions": "Other job functions",
    "company_sizes": "Other company size",
}

_BY_GROUP: dict[str, dict[str, str]] = {
    "link_taps_by_button": CONTACT_BUTTONS,
    "seniority": SENIORITIES,
    "functions": FUNCTIONS,
    "company_sizes": COMPANY_SIZES,
    "traffic_sources": TRAFFIC_SOURCES,
    "devices": DEVICES,
    "gender": GENDERS,
    "content_types": CONTENT_TYPES,
    "content_types_watch": CONTENT_TYPES,
}

# the over-time table names the group before the value ("Country: India")
GROUPS: dict[str, str] = {
    "age": "Age",
    "gender": "Gender",
    "countries": "Country",
    "cities": "City",
    "traffic_sources": "Traffic source",
    "devices": "Device",
    "content_types": "Format",
    "content_types_watch": "Format (watch time)",
    "link_taps_by_button": "Button",
    "regions": "Region",
    "seniority": "Seniority",
    "industries": "Industry",
    "functions": "Job function",
    "company_sizes": "Company size",
}


def _locale(code: str | None) -> Locale:
    try:
        return Locale.parse((code or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def _readable(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words.isupper() else words[:1].upper() + words[1:]


def audience_label(group: str, key: object, locale: str | None = None) -> str:
    """The words for ``key`` of audience ``group`` (``countries``, ``devices``...), in ``locale``."""
    text = str(key)
    if text == "other" and group in OTHER:
        return OTHER[group]
    if group in ("countries", "engaged_countries"):
        name = _locale(locale).territories.get(text.upper()) if len(text) == 2 else None
        return name or text
    if group in ("age", "cities", "regions", "industries"):  # names as the platform gave them (escaped when shown)
        return text
    known = _BY_GROUP.get(group, {}).get(text)
    if known is None and group in OTHER:  # a LinkedIn id the table lacks: never shown raw
        return OTHER[group]
    return known or _readable(text)


def audience_group(group: str) -> str:
    """The words for an audience group's name (``countries`` -> "Country")."""
    return GROUPS.get(group) or _readable(group)
