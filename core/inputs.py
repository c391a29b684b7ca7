"""Reading numbers people and scanners type into forms and addresses."""

DIGITS = frozenset("0123456789")
# A row id fits a BigAutoField (at most 9223372036854775807); longer text is no id.
ROW_ID_MAX_LENGTH = 18


def only_digits(text: str) -> bool:
    """True for a non-empty text of the digits 0–9. `str.isdigit()` is also true for "²" and
    other Unicode digits, which `int()` refuses or reads as other numbers."""
    return bool(text) and all(char in DIGITS for char in text)


def row_id(text) -> int | None:
    """The id of a row named in a form or query string, or None when the text is not one."""
    if not isinstance(text, str) or len(text) > ROW_ID_MAX_LENGTH or not only_digits(text):
        return None
    return int(text)
