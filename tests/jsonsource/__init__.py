"""A second accounting-system type, for the tests only: invoices read from a JSON file.

It proves the source seam: this folder and one line added to the registry's ``TYPE_MODULES``
(``tests.jsonsource.registration``) make a type the unchanged sync engine syncs.
"""
