from django.urls import path

from forecaster.costs import api

# Included by forecaster.reports.api_urls under /api/, before its catch-all.
urlpatterns = [
    path("counterparties", api.counterparties_api, name="counterparties"),
    path("commitments", api.commitments_api, name="commitments"),
    path("cost-invoices", api.cost_invoices_api, name="cost_invoices"),
    path("costs", api.costs_api, name="costs"),
    path("result", api.result_api, name="result"),
]
