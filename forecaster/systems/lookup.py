"""Find a system the way the CLI, the report page and the API name it: by id or exact name."""

from __future__ import annotations

from forecaster.systems.models import AccountingSystem


def find_system(ref: str) -> AccountingSystem | None:
    """The system whose id or exact name is ``ref``, else ``None``.

        >>> find_system("3") or find_system("Main WHMCS")

    An id wins over a name made of the same digits (names of digits only are refused on save).
    """
    text = ref.strip()
    if not text or len(text) > 100 or any(ord(ch) < 32 for ch in text):
        return None
    if text.isdigit() and len(text) <= 18:
        found = AccountingSystem.objects.filter(pk=int(text)).first()
        if found is not None:
            return found
    return AccountingSystem.objects.filter(name=text).first()
