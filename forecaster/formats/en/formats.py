# English as this product writes it: ISO dates (never the US month-first order, which readers
# elsewhere misread), comma thousands and dot decimals. Text and date inputs use the same format.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "Y-m-d"
YEAR_MONTH_FORMAT = "Y-m"  # report months in tables and chart axes, like the short date
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
