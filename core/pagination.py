"""Pagination for lists too long to count."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator

#: more rows than any table holds: PostgreSQL's OFFSET and LIMIT are 64-bit
_LARGEST_ROW = 2**63 - 1


class LookaheadPaginator(Paginator):  # type: ignore[type-arg]
    """Pages without a count, for lists too long to count.

    Counting every hit of a frequent word among a million messages costs far more than the page
    itself, which an index walks newest first. So a page reads one row more than it shows: that
    row tells whether a next page exists. ``count`` and ``num_pages`` are then what is known:
    exact once the last page is read, and lower bounds before (``capped``: "more than 25 found",
    a next page). A page number past the end, or not a number, gives the first page: without a
    count the last one is unknown. So does a number so large that its rows could not exist: the
    database cannot even skip that far (its offsets are 64-bit).
    """

    def __init__(self, object_list: Any, per_page: int) -> None:
        super().__init__(object_list, per_page)
        self.capped = False
        self._rows_known = 0
        self._pages_known = 1

    @property
    def count(self) -> int:
        """The rows up to the end of the page read (all rows unless ``capped``)."""
        return self._rows_known

    @property
    def num_pages(self) -> int:
        """The pages known to exist: the page read, and the next one when ``capped``."""
        return self._pages_known

    def validate_number(self, number: Any) -> int:
        """A whole number from 1; whether that page has rows is known once it is read."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number * self.per_page >= _LARGEST_ROW:
            raise EmptyPage(self.error_messages["no_results"])
        return int(number)

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        self.capped = len(rows) > self.per_page
        self._rows_known = bottom + min(len(rows), self.per_page)
        self._pages_known = number + 1 if self.capped else number
        return Page(rows[: self.per_page], number, self)

    def get_page(self, number: Any) -> Page:  # type: ignore[type-arg]
        try:
            return self.page(number)
        except InvalidPage:
            return self.page(1)
