"""Test connection of a stored system: shared by the web page and ``forecaster systems test``."""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from forecaster.lib.crypto import DecryptionError, KeyConfigError
from forecaster.systems import errors, holdings
from forecaster.systems.models import AccountingSystem
from forecaster.systems.source import ConnectionResult

log = logging.getLogger(__name__)


@sensitive_variables("client")
def check_connection(system: AccountingSystem) -> ConnectionResult:
    """One request, short timeout, no retries; never raises for remote problems. When it
        works, one cheap request each tells which permissions the source's account has (apiWHMCS:
    whether the role allows GetInvoice and GetTransactions).

        >>> result = check_connection(system)
        >>> result.ok, result.message, result.fix
    """
    try:
        client = system.type.make_client(system)
    except (DecryptionError, KeyConfigError) as exc:
        return ConnectionResult(
            ok=False,
            error=errors.RemoteError(
                gettext("The stored secret cannot be decrypted (%(reason)s).") % {"reason": exc},
                gettext("Enter the API Secret again on the system's Edit page, or restore the key file."),
            ),
        )
    with client:
        result = client.test_connection()
        if result.ok and client.permission_names:
            # What the account allows beyond paid invoices, and what each unlocks (the ledger).
            try:
                result.permissions = client.permissions()
            except errors.RemoteError as exc:
                log.info("permission check of system %s failed: %s", system.pk, exc.kind)
            else:
                holdings.remember_actions(system, result.permissions)
    log.debug("test connection of system %s: %s", system.pk, result.kind)
    return result
