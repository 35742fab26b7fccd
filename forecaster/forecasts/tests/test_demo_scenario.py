"""`forecaster demo` leaves the outlook with a saved scenario beside it: the scenario's what-ifs
change the forecast months, on the page, in the comparison and on the CLI."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from forecaster.forecasts.models import Scenario

pytestmark = pytest.mark.django_db


def test_the_demo_saves_a_scenario_the_outlook_shows_beside_the_plain_forecast(admin_user, capsys):
    call_command("demo")
    assert "1 saved scenario(s)" in capsys.readouterr().out
    scenario = Scenario.objects.get()
    assert [c.name for c in scenario.cancel.all()] == ["IP transit"]
    assert scenario.additions.count() == 1

    client = Client()
    client.force_login(admin_user)
    page = client.get("/forecasts/", {"scenario": scenario.pk})
    assert page.status_code == 200
    assert scenario.name in page.content.decode()
    compare = client.get("/forecasts/scenarios/compare/", {"id": scenario.pk})
    assert compare.status_code == 200 and scenario.name in compare.content.decode()

    call_command("forecast", "--format", "json")
    plain = json.loads(capsys.readouterr().out)
    call_command("forecast", "--format", "json", "--scenario", scenario.name)
    what_if = json.loads(capsys.readouterr().out)
    plain_costs = [m for m in plain["months"] if m["kind"] == "forecast"]
    what_if_costs = [m for m in what_if["months"] if m["kind"] == "forecast"]
    assert len(plain_costs) == len(what_if_costs) == 12
    # Costs rise 3 % a year, a new PoP costs 1,500.00 EUR a month and the transit is cancelled:
    # the forecast months' costs differ from the plain outlook's.
    assert [m["costs"] for m in plain_costs] != [m["costs"] for m in what_if_costs]
