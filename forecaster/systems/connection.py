"""Test connection of a stored system: shared by the web page and ``forecaster systems test``."""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from forecaster.lib.crypto import DecryptionError, KeyConfigError
from forecaster.systems import errors
from forecaster.systems.models import AccountingSystem
from forecaster.systems.whmcs.client import ConnectionResult

log = logging.getLogger(__name__)


@sensitive_variables("client")
def check_connection(system: AccountingSystem) -> ConnectionResult:
    """One request, short timeout, no retries; never raises for remote problems.

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
    log.debug("test connection of system %s: %s", system.pk, result.kind)
    return result
