"""The error reports Django builds (the DEBUG error page, mailed and logged reports), filtered always.

Django's own filter (``SafeExceptionReporterFilter``) honours ``sensitive_variables`` and
``sensitive_post_parameters`` only while ``DEBUG`` is off, so ``FORECASTER_DEBUG=1`` would put a
posted API secret, or the decrypted stored one, on the error page. This one is active in DEBUG
too, and also hides every local variable and dict entry named like a credential (secret,
password, token, key …) and the session and CSRF cookies. Set in settings as
``DEFAULT_EXCEPTION_REPORTER_FILTER``.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, active whatever ``DEBUG`` says, and cleansing every frame by name."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|SESSION|CSRF|AUTH|CREDENTIAL", flags=re.I
    )

    def is_active(self, request: object) -> bool:
        return True

    def get_traceback_frame_variables(self, request: object, tb_frame: object) -> list:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleanse_setting(name, value)) for name, value in variables]
