from django.http import HttpRequest

from forecaster.accounts.roles import is_admin


def roles(request: HttpRequest) -> dict[str, bool]:
    """Templates ask ``is_admin`` to show or hide administrator actions."""
    user = getattr(request, "user", None)
    return {"is_admin": bool(user is not None and is_admin(user))}
