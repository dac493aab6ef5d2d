"""Member archive scoring and identity checks (by default hard 20%, soft 80%)."""

import re

_PHONE_CHARS = re.compile(r"^\+?[0-9][0-9 ()\-.]*$")
_CARD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{2,31}$")


def completeness(hard_values, soft_values, hard_weight=20.0, soft_weight=80.0):
    """Weighted share (0-100) of filled profile items.

    Each part counts its filled items: a value is filled when it is truthy after
    stripping text. The weights need not add up to 100; the result is scaled to them.
    """
    def share(values):
        values = list(values)
        if not values:
            return 0.0
        filled = sum(1 for v in values if (v.strip() if isinstance(v, str) else v))
        return filled / len(values)

    total_weight = hard_weight + soft_weight
    if total_weight <= 0:
        return 0.0
    score = (share(hard_values) * hard_weight + share(soft_values) * soft_weight) * 100.0 / total_weight
    return round(score, 1)


def phone_digits(phone):
    return re.sub(r"\D", "", phone or "")


def is_valid_phone(phone, min_digits=6, max_digits=15):
    """A phone a cashier can type: optional +, digits and separators, 6-15 digits (E.164 max)."""
    phone = (phone or "").strip()
    if not phone or not _PHONE_CHARS.match(phone):
        return False
    return min_digits <= len(phone_digits(phone)) <= max_digits


def normalize_card(card):
    return (card or "").strip().upper()


def is_valid_card(card):
    """Card numbers are 3-32 letters, digits or dashes: what a barcode scanner sends."""
    return bool(_CARD.match(normalize_card(card)))
