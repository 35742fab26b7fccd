from django.urls import path

from forecaster.costs.views import agreements, commitments, invoices, parties, reports

app_name = "costs"
urlpatterns = [
    path("counterparties/", parties.party_list, name="parties"),
    path("counterparties/new/", parties.party_edit, name="party_create"),
    path("counterparties/<int:pk>/", parties.party_detail, name="party"),
    path("counterparties/<int:pk>/edit/", parties.party_edit, name="party_edit"),
    path("counterparties/<int:pk>/delete/", parties.party_delete, name="party_delete"),
    path("agreements/", agreements.agreement_list, name="agreements"),
    path("agreements/new/", agreements.agreement_edit, name="agreement_create"),
    path("agreements/<int:pk>/", agreements.agreement_detail, name="agreement"),
    path("agreements/<int:pk>/edit/", agreements.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/delete/", agreements.agreement_delete, name="agreement_delete"),
    path("agreements/<int:agreement_pk>/annexes/new/", agreements.annex_edit, name="annex_create"),
    path("agreements/<int:agreement_pk>/annexes/<int:pk>/edit/", agreements.annex_edit, name="annex_edit"),
    path(
        "agreements/<int:agreement_pk>/annexes/<int:pk>/delete/", agreements.annex_delete, name="annex_delete"
    ),
    path("commitments/", commitments.commitment_list, name="commitments"),
    path("commitments/new/", commitments.commitment_edit, name="commitment_create"),
    path("commitments/<int:pk>/", commitments.commitment_detail, name="commitment"),
    path("commitments/<int:pk>/edit/", commitments.commitment_edit, name="commitment_edit"),
    path("commitments/<int:pk>/delete/", commitments.commitment_delete, name="commitment_delete"),
    path("commitments/<int:pk>/steps/", commitments.price_step_add, name="price_step_add"),
    path(
        "commitments/<int:pk>/steps/<int:step>/delete/",
        commitments.price_step_delete,
        name="price_step_delete",
    ),
    path("invoices/", invoices.invoice_list, name="invoices"),
    path("invoices/new/", invoices.invoice_edit, name="invoice_create"),
    path("invoices/import/", invoices.invoice_import, name="invoice_import"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/edit/", invoices.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/delete/", invoices.invoice_delete, name="invoice_delete"),
    path("rates/", invoices.cost_rates, name="rates"),
    path("reports/costs/", reports.costs_page, name="report_costs"),
    path("reports/result/", reports.result_page, name="report_result"),
    path("reports/<str:kind>/export.<str:fmt_name>", reports.export, name="report_export"),
]
