"""Helpers for answering personal-data requests; they know no app."""

import re

REMOVED = "[removed]"


def scrub(text: str, needles: list[str]) -> str:
    """`text` with every occurrence of the `needles` (a name, an address, a phone number)
    replaced, whatever their case. Used on what staff wrote about a person who was erased."""
    needles = sorted({needle for needle in needles if needle}, key=len, reverse=True)
    if not text or not needles:
        return text
    pattern = re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)
    return pattern.sub(REMOVED, text)


def mentions(text: str, needles: list[str]) -> bool:
    return scrub(text, needles) != text


def local_iso(moment) -> str | None:
    """A date or time as ISO 8601 text for a data export; None stays None."""
    return moment.isoformat() if moment is not None else None
