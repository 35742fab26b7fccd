"""The base-currency and rate settings moved to the currency app, the API tokens to accounts:
the rows already stored are still there, in the same tables, after the migrations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0002_rates_tokens_cents"), ("accounts", "0001_initial"), ("currency", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The other apps stay migrated: their state is their latest (a system's newer columns).
    nodes = [t for t in targets if t[1] is not None]
    moved = {app for app, _name in targets}
    nodes += [n for n in executor.loader.graph.leaf_nodes() if n[0] not in moved and n[0] != "currency"]
    return executor.loader.project_state(nodes).apps


@pytest.mark.django_db(transaction=True)
def test_rows_stored_before_the_move_are_read_by_the_moved_models():
    old = _migrate(BEFORE)
    system = old.get_model("systems", "AccountingSystem").objects.create(
        name="Old", url="https://billing.example.com/includes/api.php", identifier="i"
    )
    old.get_model("reports", "SiteSettings").objects.create(pk=1, base_currency="PLN")
    old.get_model("reports", "SystemCurrencyRate").objects.create(system_id=system.pk, currency="EUR", rate=4)
    old.get_model("reports", "SystemRatePolicy").objects.create(system_id=system.pk, source="ecb")
    old.get_model("reports", "ApiToken").objects.create(name="BI", token_hash="h" * 64, hint="fct_abcd")
    try:
        executor = MigrationExecutor(connection)
        new = _migrate(executor.loader.graph.leaf_nodes())
        assert new.get_model("currency", "SiteSettings").objects.get(pk=1).base_currency == "PLN"
        rate = new.get_model("currency", "SystemCurrencyRate").objects.get()
        assert (rate.system_id, rate.currency, rate.rate) == (system.pk, "EUR", Decimal("4.000000"))
        assert new.get_model("currency", "SystemRatePolicy").objects.get().source == "ecb"
        assert new.get_model("accounts", "ApiToken").objects.get().name == "BI"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
