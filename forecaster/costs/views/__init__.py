"""Cost pages: thin adapters over the forms, ``periods``, ``queries`` and ``exports``.

Everyone logged in reads; only administrators change anything, always by POST with CSRF.
"""
