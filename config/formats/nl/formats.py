"""Dates as the platform writes them in Dutch, one format per use (``|date:"DATE_FORMAT"``).

Months in lower case, abbreviated with a full stop ("6 dec.", "1 mei"; the abbreviations are in
the catalogue). Everything not named here is Django's own Dutch format.
"""

DATE_FORMAT = "j F Y"  # 6 december 2026
DATETIME_FORMAT = "j F Y, H:i"  # 6 december 2026, 14:05
SHORT_DATE_FORMAT = "j N Y"  # 6 dec. 2026
SHORT_DATETIME_FORMAT = "j N Y, H:i"  # 6 dec. 2026, 14:05
MONTH_DAY_FORMAT = "j N"  # 6 dec.
