import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Direct calls read English labels, whatever language an earlier request left active."""
    with translation.override("en"):
        yield
