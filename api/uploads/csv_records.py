"""CSV read as a stream: text goes in as it arrives, complete records come out.

The standard library's C reader does the parsing; this class only decides how much text
to hand it. A record may span lines (a quoted field with a newline), so the reader is
given whole lines, and when it asks for a line that has not arrived yet the partial record
is set aside and parsed again, from its first line, once more text is there.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import chain

from api.uploads.exceptions import MalformedUploadError

# Far above any valid row (a few hundred characters); the bound keeps a record that never
# ends (an unclosed quote, a body without newlines) from being buffered and re-parsed
# without limit.
MAX_RECORD_CHARS = 65_536


class _NeedMoreTextError(Exception):
    pass


def _then_need_more() -> Iterator[str]:
    raise _NeedMoreTextError
    yield ""  # pragma: no cover - makes this a generator


def _explain(exc: csv.Error) -> str:
    text = str(exc)
    if text.startswith("new-line character seen in unquoted field"):
        return "a carriage return (\\r) that does not end a line, outside quotes"
    if text == "unexpected end of data":
        return "a quoted field is not closed before the end of the data"
    return text


class CsvRecords:
    """Push parser for RFC 4180 CSV (comma, double quotes); `count` records emitted so far."""

    def __init__(self, max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self.max_record_chars = max_record_chars
        self.count = 0
        self._carry = ""  # text after the last newline seen
        self._pending: list[str] = []  # lines of a record that is not complete yet

    def feed(self, text: str) -> list[list[str]]:
        if self._carry:
            text = self._carry + text
        cut = text.rfind("\n") + 1
        self._carry = text[cut:]
        if cut == 0:
            self._check_size()
            return []
        lines = io.StringIO(text[:cut], newline="\n").readlines()
        if self._pending:
            lines = self._pending + lines
        records = self._parse(lines, final=False)
        self._check_size()
        return records

    def close(self) -> list[list[str]]:
        lines = self._pending
        if self._carry:
            lines.append(self._carry)
        self._carry = ""
        self._pending = []
        return self._parse(lines, final=True)

    def _check_size(self) -> None:
        size = len(self._carry)
        if self._pending:
            size += sum(len(line) for line in self._pending)
        if size > self.max_record_chars:
            raise MalformedUploadError(
                f"a record is longer than {self.max_record_chars} characters "
                "(is a quote left open?)",
                self.count + 1,
            )

    def _parse(self, lines: list[str], *, final: bool) -> list[list[str]]:
        source = iter(lines) if final else chain(lines, _then_need_more())
        reader = csv.reader(source, strict=True)
        records: list[list[str]] = []
        consumed = 0
        try:
            for record in reader:
                records.append(record)
                consumed = reader.line_num
        except _NeedMoreTextError:
            self._pending = lines[consumed:]
        except csv.Error as exc:
            raise MalformedUploadError(
                f"not valid CSV: {_explain(exc)}", self.count + len(records) + 1
            ) from exc
        else:
            self._pending = []
        self.count += len(records)
        return records
