from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, get_language_info


def languages(request: HttpRequest) -> dict[str, Any]:
    """The switcher's choices (each named in its own language) and the page's language."""
    return {
        "language_choices": [
            (code, get_language_info(code)["name_local"].capitalize()) for code, _name in settings.LANGUAGES
        ],
        "page_language": get_language() or settings.LANGUAGE_CODE,
    }
