"""The base currency: the currency every converted amount, and so every report, is in.

    >>> base_currency()
    'USD'
    >>> change_base_currency("PLN", reconvert=False)   # amounts held: reports stay in USD
    >>> base_currency(), pending_base_currency()
    ('USD', 'PLN')
    >>> change_base_currency("PLN", reconvert=True)    # re-converts, then reports are in PLN
    1234

A change of base currency never relabels amounts converted into the old one: until they are
re-converted, :func:`base_currency` stays the currency they are in (and new amounts are
converted into it too, so nothing is mixed). The apps that hold converted amounts register
how to tell whether they hold any and how to re-convert them (:func:`register_holder`, from
their ``AppConfig.ready``), so this module needs none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from forecaster.currency.models import SiteSettings


@dataclass(frozen=True)
class Holder:
    """An app's converted amounts: ``held()`` says whether there are any, ``reconvert()``
    converts them all again into the base currency in effect and returns how many changed
    (it may raise ``ValueError`` with a message when one cannot be converted)."""

    name: str
    held: Callable[[], bool]
    reconvert: Callable[[], int]


_HOLDERS: dict[str, Holder] = {}


def register_holder(name: str, held: Callable[[], bool], reconvert: Callable[[], int]) -> None:
    """Register (or replace) the converted amounts of app ``name``."""
    _HOLDERS[name] = Holder(name, held, reconvert)


def _row() -> tuple[str, str]:
    found = SiteSettings.objects.filter(pk=1).values_list("base_currency", "converted_currency").first()
    return found or ("", "")


def chosen_base_currency() -> str:
    """The base currency the administrator chose (else ``FORECASTER_CURRENCY``)."""
    return _row()[0] or settings.BASE_CURRENCY


def base_currency() -> str:
    """The currency every converted amount and every report is in: the chosen one, except
    while the amounts held have not been re-converted into it yet.

    >>> base_currency()
    'USD'
    """
    chosen, converted = _row()
    return converted or chosen or settings.BASE_CURRENCY


def pending_base_currency() -> str | None:
    """The chosen base currency when the amounts held are not yet converted into it."""
    chosen, converted = _row()
    chosen = chosen or settings.BASE_CURRENCY
    return chosen if converted and converted != chosen else None


def change_base_currency(code: str, *, reconvert: bool) -> int | None:
    """Choose ``code`` (empty: ``FORECASTER_CURRENCY``) as the base currency.

    ``reconvert=True`` re-converts every amount held into it at once (all or nothing: a
    ``ValueError`` from a holder undoes the change) and returns how many changed. Otherwise
    the amounts held keep their currency, and reports keep showing it, until a later call
    re-converts them; returns ``None``.
    """
    with transaction.atomic():
        current = base_currency()
        row = SiteSettings.load()
        row.base_currency = code
        wanted = code or settings.BASE_CURRENCY
        if reconvert:
            row.converted_currency = ""
            row.save()
            return sum(holder.reconvert() for holder in _HOLDERS.values())
        if wanted == current or not any(holder.held() for holder in _HOLDERS.values()):
            row.converted_currency = ""
        else:
            row.converted_currency = current
        row.save()
        return None
