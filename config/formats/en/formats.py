"""Dates as the platform writes them in English: the Dutch formats' order, English names."""

DATE_FORMAT = "j F Y"  # 6 December 2026
DATETIME_FORMAT = "j F Y, H:i"  # 6 December 2026, 14:05
SHORT_DATE_FORMAT = "j N Y"  # 6 Dec. 2026
SHORT_DATETIME_FORMAT = "j N Y, H:i"  # 6 Dec. 2026, 14:05
MONTH_DAY_FORMAT = "j N"  # 6 Dec.
