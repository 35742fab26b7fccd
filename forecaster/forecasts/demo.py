"""The forecast's part of ``forecaster demo``: a saved scenario, so the outlook shows one beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from forecaster.costs import terms as T
from forecaster.costs.models import Commitment
from forecaster.forecasts.models import Scenario, ScenarioCommitment

NAME = "Leaner year: 5 % churn, transit cancelled, new PoP"


def add_demo_scenario(sender: object, today: date, commitments: dict[str, Commitment], **kwargs: Any) -> int:
    """Create the demo's scenario: clients leave (5 % a year), costs rise 3 %, the zloty weakens
    4 %, the IP transit is cancelled at its next cancel-by date and a new point of presence costs
    1,500.00 EUR a month from three months ahead. Returns the number of scenarios added."""
    scenario = Scenario.objects.create(
        name=NAME,
        revenue_growth_pct=Decimal("-5"),
        cost_inflation_pct=Decimal("3"),
        fx_shifts={"PLN": "-4"},
    )
    scenario.cancel.set([commitments["transit"]])
    ScenarioCommitment.objects.create(
        scenario=scenario,
        name="New PoP in Warsaw",
        amount=Decimal("1500.00"),
        currency="EUR",
        starts_on=T.add_months(today.replace(day=1), 3),
    )
    return 1
