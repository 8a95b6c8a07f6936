"""CSV read as a stream: text goes in as it arrives, complete records come out.

The standard library's C reader does the parsing; this class only decides how much text
to hand it, and hands every character over once:

- text is held back until its line is complete (the reader works on whole lines);
- complete lines go to the reader, which returns the records they finish. When it asks
  for a line that has not arrived yet, a record is open: a quoted field holds a newline;
- the open record's lines are set aside, and new text is scanned (`_QuotedRecordEnd`)
  from where the last scan stopped, only for the newline that ends the record. The reader
  sees the record again only once it is complete. Re-parsing it from its first line on
  every new line instead made a field cut into many small chunks quadratic (issue 11).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from itertools import chain

from duka.uploads.exceptions import MalformedUploadError

# Far above any valid row (a few hundred characters); the bound keeps a record that never
# ends (an unclosed quote, a body without newlines) from being buffered without limit.
MAX_RECORD_CHARS = 65_536

_FIELD_END = re.compile(r"[,\n]")


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


class _QuotedRecordEnd:
    """Where an open record ends, scanning each character once however the text is cut.

    The C reader asks for another line only inside a quoted field, so a scan starts there.
    It follows the reader's states for valid CSV: a quote opens a field only at the field's
    start; inside one, `""` is a quote and a lone quote closes it; a newline outside quotes
    ends the record. Invalid text (a character after a closing quote, a stray `\\r`) needs
    no care here: the reader refuses it when it parses the complete record.
    """

    def __init__(self) -> None:
        self.quoted = True
        self.after_quote = False  # the last character was a quote inside the quoted field
        self.field_start = False

    def scan(self, text: str) -> int | None:
        """The index just past the newline that ends the record, or None: not in `text`."""
        pos, size = 0, len(text)
        while pos < size:
            if self.quoted:
                if self.after_quote:
                    self.after_quote = False
                    if text[pos] == '"':  # a doubled quote: still inside
                        pos += 1
                        continue
                    self.quoted = False  # the field is closed; what follows is checked later
                    continue
                close = text.find('"', pos)
                if close < 0:
                    return None
                pos, self.after_quote = close + 1, True
            elif self.field_start and text[pos] == '"':
                pos, self.quoted, self.field_start = pos + 1, True, False
            else:
                found = _FIELD_END.search(text, pos)
                if found is None:
                    self.field_start = False
                    return None
                pos = found.end()
                if text[found.start()] == "\n":
                    return pos
                self.field_start = True
        return None


class CsvRecords:
    """Push parser for RFC 4180 CSV (comma, double quotes); `count` records emitted so far."""

    def __init__(self, max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self.max_record_chars = max_record_chars
        self.count = 0
        # Text after the last newline, in the pieces it came in (joined once a line ends).
        self._carry: list[str] = []
        self._carry_chars = 0
        # The lines of the open record, and how far its end has been looked for.
        self._pending: list[str] = []
        self._pending_chars = 0
        self._end: _QuotedRecordEnd | None = None

    def feed(self, text: str) -> list[list[str]]:
        cut = text.rfind("\n") + 1
        if cut == 0:
            if text:
                self._carry.append(text)
                self._carry_chars += len(text)
                self._check_size()
            return []
        complete = "".join(self._carry) + text[:cut] if self._carry else text[:cut]
        self._carry = [text[cut:]] if cut < len(text) else []
        self._carry_chars = len(text) - cut
        if self._end is not None:
            end = self._end.scan(complete)
            if end is None:
                self._pending.append(complete)
                self._pending_chars += len(complete)
                self._check_size()
                return []
            complete = "".join(self._pending) + complete
            end += self._pending_chars
            # The record's lines and the complete lines after it; the record is whole now.
            lines = _lines(complete[:end]) + _lines(complete[end:])
        else:
            lines = _lines(complete)
        records = self._parse(lines, final=False)
        self._check_size()
        return records

    def close(self) -> list[list[str]]:
        lines = self._pending
        if self._carry:
            lines.append("".join(self._carry))
        self._carry, self._carry_chars = [], 0
        self._set_pending([])
        return self._parse(lines, final=True)

    def _set_pending(self, lines: list[str]) -> None:
        self._pending = lines
        self._pending_chars = sum(len(line) for line in lines)
        self._end = _QuotedRecordEnd() if lines else None

    def _check_size(self) -> None:
        if self._carry_chars + self._pending_chars > self.max_record_chars:
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
            self._set_pending(lines[consumed:])
        except csv.Error as exc:
            raise MalformedUploadError(
                f"not valid CSV: {_explain(exc)}", self.count + len(records) + 1
            ) from exc
        else:
            self._set_pending([])
        self.count += len(records)
        return records


def _lines(text: str) -> list[str]:
    return io.StringIO(text, newline="\n").readlines()
