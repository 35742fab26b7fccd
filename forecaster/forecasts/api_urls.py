"""The forecast's JSON API endpoints, mounted under /api/ before the reports' catch-all, and the
iCalendar feed (its secret URL is its authentication)."""

from django.urls import path

from forecaster.forecasts import api, deadline_views

urlpatterns = [
    path("outlook", api.outlook_api, name="api_outlook"),
    path("deadlines", api.deadlines_api, name="api_deadlines"),
    path("calendar/<str:token>.ics", deadline_views.feed, name="forecasts_feed"),
]
