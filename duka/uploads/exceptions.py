"""Upload failures: the bad-row collector, and the errors an upload as a whole can end with."""

from __future__ import annotations

from collections.abc import Iterable

from duka.core.errors import ConflictError, FieldError, ValidationFailedError

# A problem document listing 100,000 errors helps nobody and costs megabytes; the count of
# bad rows in `detail` still tells the whole story.
MAX_LISTED_ERRORS = 1000


class MalformedUploadError(Exception):
    """The body cannot be read as CSV or JSON from this record on.

    `record` is the 1-based position among the parser's records (for CSV the header is
    record 1), or None when the fault is not in any one record.
    """

    def __init__(self, message: str, record: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.record = record


class UploadCodeRaceError(ConflictError):
    slug = "customer-code-taken"
    title = "Customer code already in use"

    def __init__(self) -> None:
        super().__init__(
            "Another request took one of the upload's customer codes while it was being "
            "stored; nothing was stored. Retry the upload."
        )


class RowErrors:
    """Every bad row of one upload: all counted, the first `limit` errors kept to list."""

    def __init__(self, limit: int = MAX_LISTED_ERRORS) -> None:
        self.limit = limit
        self.listed: list[FieldError] = []
        self._bad_rows: set[int] = set()
        self._unrowed = 0
        self._dropped = 0

    def add(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            if error.row is None:
                self._unrowed += 1
            else:
                self._bad_rows.add(error.row)
            if len(self.listed) < self.limit:
                self.listed.append(error)
            else:
                self._dropped += 1

    def __bool__(self) -> bool:
        return bool(self._bad_rows) or self._unrowed > 0

    @property
    def bad_rows(self) -> int:
        return len(self._bad_rows)

    def sorted_errors(self) -> list[FieldError]:
        # Checks run in stages (values, then the database), so restore row order for readers.
        return sorted(self.listed, key=lambda e: -1 if e.row is None else e.row)

    def failure(self, summary: str | None = None) -> ValidationFailedError:
        """The 422 for this upload: `summary` (or a count of bad rows) and every listed error."""
        if summary is None:
            rows = self.bad_rows
            summary = f"{rows} row{'s' if rows != 1 else ''} failed validation"
        detail = f"{summary}; nothing was stored."
        if self._dropped:
            detail += f" Only the first {self.limit} errors are listed."
        return ValidationFailedError(detail, self.sorted_errors())
