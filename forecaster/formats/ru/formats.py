# Russian: Django's formats, except day-and-month, which needs the genitive ("1 декабря", not
# "1 Декабрь") as in running text.
from django.conf.locale.ru.formats import *  # noqa: F403

MONTH_DAY_FORMAT = "j E"
# Report months in tables and chart axes, like the short date: 03.2026.
YEAR_MONTH_FORMAT = "m.Y"
