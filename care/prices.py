"""Prices as visitors read them: "from $450", "$650–$900", "$450 per session"."""

from decimal import Decimal

# Symbols for the currencies a clinic is likely to use; any other ISO code
# is written before the amount ("CHF 450"), which is always understood.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def format_amount(amount: Decimal, currency: str) -> str:
    """An amount with its currency, cents only when there are any."""
    text = (
        f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    )
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def price_text(kind: str, price_from, price_to, currency: str) -> str:
    """The price line of a treatment; empty when staff gave no price."""
    if price_from is None:
        return ""
    low = format_amount(price_from, currency)
    if kind == "range" and price_to is not None and price_to > price_from:
        return f"{low}–{format_amount(price_to, currency)}"
    if kind == "per_session":
        return f"{low} per session"
    return f"from {low}"
