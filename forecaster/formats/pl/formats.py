# Polish: Django's formats, except the short date (dd.mm.rrrr, as Polish readers and Django's
# own Polish date input expect) so text and date inputs agree.
from django.conf.locale.pl.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
# Report months in tables and chart axes, like the short date: 03.2026.
YEAR_MONTH_FORMAT = "m.Y"
