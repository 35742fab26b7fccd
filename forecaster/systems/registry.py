"""The accounting-system types this installation knows (apiWHMCS today).

A type is a vertical slice in its own folder (``forecaster/systems/<key>/``) whose
``registration`` module calls :func:`register` once; :data:`TYPE_MODULES` lists those modules,
and :func:`autodiscover` (run by the app's ``ready()``) imports them. Adding a type is one new
folder and one line below (see CONTRIBUTING.md).

    >>> get_type("whmcs").label
    'apiWHMCS'
    >>> [t.key for t in all_types()]
    ['whmcs']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from forecaster.systems.source import InvoiceSource

TYPE_MODULES = [
    "forecaster.systems.whmcs.registration",
]


@dataclass(frozen=True)
class SystemType:
    """What the generic pages and commands need to know about one type.

    ``form_class(data, instance=…)`` validates the connection details (web and CLI alike);
    ``make_client(system, **kwargs)`` returns a client with ``test_connection()`` and
    ``close()``; ``help_url_name`` names the set-up help page (a URL name the type's folder
    routes) and ``help_title`` is its link text: the menu, the list of systems, the dashboard,
    a system's page and a failed Test connection link it. A type without one links none.
    """

    key: str
    label: str
    form_class: type
    make_client: Callable[..., Any]
    help_url_name: str = ""
    help_title: str = ""
    description: str = ""

    @property
    def source(self) -> type[InvoiceSource] | None:
        """The :class:`~forecaster.systems.source.InvoiceSource` class whose ``for_system`` is
        ``make_client`` (what its type can read, and its words for what it cannot), without
        connecting; ``None`` when ``make_client`` is something else."""
        owner = getattr(self.make_client, "__self__", None)
        return owner if isinstance(owner, type) and issubclass(owner, InvoiceSource) else None


_registry: dict[str, SystemType] = {}


def register(system_type: SystemType) -> SystemType:
    """Add a type (idempotent for the same key and label)."""
    existing = _registry.get(system_type.key)
    if existing is not None and existing.label != system_type.label:
        raise ValueError(f"accounting-system type {system_type.key!r} is already registered")
    _registry[system_type.key] = system_type
    return system_type


def get_type(key: str) -> SystemType:
    """The registered type ``key``; ``KeyError`` when unknown."""
    autodiscover()
    try:
        return _registry[key]
    except KeyError:
        raise KeyError(f"unknown accounting-system type {key!r}") from None


def all_types() -> list[SystemType]:
    """Every registered type, in registration order."""
    autodiscover()
    return list(_registry.values())


def help_pages() -> list[SystemType]:
    """The registered types that have a set-up help page (``help_url_name``)."""
    return [t for t in all_types() if t.help_url_name]


def autodiscover() -> None:
    """Import every module in :data:`TYPE_MODULES` (cheap after the first call)."""
    for module in TYPE_MODULES:
        import_module(module)
