from django.urls import path

from forecaster.forecasts import deadline_views, scenario_views, views

app_name = "forecasts"
urlpatterns = [
    path("", views.outlook_page, name="outlook"),
    path("outlook.<str:fmt_name>", views.outlook_export, name="outlook_export"),
    path("revenue/", views.revenue_page, name="revenue"),
    path("versus/", views.versus_page, name="versus"),
    path("deadlines/", deadline_views.deadlines_page, name="deadlines"),
    path("deadlines/export.<str:fmt_name>", deadline_views.deadlines_export, name="deadlines_export"),
    path("deadlines/<int:pk>/alert-days/", deadline_views.alert_days, name="alert_days"),
    path("calendar-feeds/new/", deadline_views.feed_create, name="feed_create"),
    path("calendar-feeds/<int:pk>/revoke/", deadline_views.feed_revoke, name="feed_revoke"),
    path("scenarios/", scenario_views.scenario_list, name="scenarios"),
    path("scenarios/new/", scenario_views.scenario_edit, name="scenario_new"),
    path("scenarios/compare/", scenario_views.scenario_compare, name="scenario_compare"),
    path(
        "scenarios/compare.<str:fmt_name>",
        scenario_views.scenario_compare_export,
        name="scenario_compare_export",
    ),
    path("scenarios/<int:pk>/", scenario_views.scenario_edit, name="scenario_edit"),
    path("scenarios/<int:pk>/delete/", scenario_views.scenario_delete, name="scenario_delete"),
    path("scenarios/<int:pk>/add/", scenario_views.scenario_add_commitment, name="scenario_add"),
    path(
        "scenarios/<int:pk>/added/<int:item>/remove/",
        scenario_views.scenario_remove_commitment,
        name="scenario_remove",
    ),
]
