from decimal import Decimal

from django.conf import settings
from django.utils import formats, translation

SYMBOLS = {"EUR": "€", "PHP": "₱", "IDR": "Rp", "USD": "$", "GBP": "£"}
# Languages that write the currency after the number ("12,50 €").
SYMBOL_AFTER = {"fi"}


def format_money(value, currency: str | None = None) -> str:
    """An amount in the program currency, written the way the current language writes it."""
    currency = currency or settings.CURRENCY
    symbol = SYMBOLS.get(currency, currency)
    number = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    if (translation.get_language() or "en") in SYMBOL_AFTER:
        return f"{number}\xa0{symbol}"
    separator = "\xa0" if len(symbol) > 1 else ""
    return f"{symbol}{separator}{number}"
