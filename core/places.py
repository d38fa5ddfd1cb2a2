"""Small helpers for anything with an address, a phone number and hours.

Used by the clinic profile and the care app's locations.
"""


def text_lines(text):
    """The non-empty lines of a text field, stripped (opening hours)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def tel_href(phone):
    """A tel: link for a phone number as staff typed it, or ""."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return f"tel:{digits}" if digits else ""


ADDRESS_FIELDS = {
    "streetAddress": "street_address",
    "addressLocality": "city",
    "addressRegion": "region",
    "postalCode": "postcode",
    "addressCountry": "country",
}


def postal_address(place):
    """schema.org PostalAddress of an object with the usual address fields."""
    address = {key: getattr(place, field) for key, field in ADDRESS_FIELDS.items()}
    return {"@type": "PostalAddress", **address}
