"""A JSON array read as a stream: text goes in as it arrives, complete elements come out.

Each element is decoded by the standard library's C scanner on its own, so memory holds
one element's text at a time, never the whole document's tree.
"""

from __future__ import annotations

import json
import re
from enum import Enum, auto

from duka.uploads.csv_records import MAX_RECORD_CHARS
from duka.uploads.exceptions import MalformedUploadError

_CONTENT = re.compile(r"[^ \t\n\r]")


def _skip_whitespace(text: str, pos: int) -> int:
    found = _CONTENT.search(text, pos)
    return found.start() if found is not None else len(text)


class _State(Enum):
    START = auto()  # before "["
    FIRST = auto()  # after "[": an element or "]"
    NEXT = auto()  # after ",": an element
    DONE = auto()  # after "]": only whitespace


class JsonArrayRecords:
    """Push parser for one top-level JSON array; `count` elements emitted so far."""

    def __init__(self, max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self.max_record_chars = max_record_chars
        self.count = 0
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._state = _State.START

    def feed(self, text: str) -> list[object]:
        self._buffer = self._buffer + text if self._buffer else text
        return self._drain(final=False)

    def close(self) -> list[object]:
        elements = self._drain(final=True)
        if self._state is _State.START:
            raise MalformedUploadError("the body is empty; send a JSON array of objects", None)
        if self._state is not _State.DONE:
            raise MalformedUploadError(
                "not valid JSON: the array is not closed with ']'", self.count + 1
            )
        return elements

    def _drain(self, *, final: bool) -> list[object]:
        buf = self._buffer
        end = len(buf)
        pos = 0
        out: list[object] = []
        try:
            while True:
                pos = _skip_whitespace(buf, pos)
                if pos >= end:
                    break
                state = self._state
                if state is _State.START:
                    if buf[pos] != "[":
                        raise MalformedUploadError(
                            "the JSON body must be an array of objects", None
                        )
                    pos += 1
                    self._state = _State.FIRST
                elif state is _State.DONE:
                    raise MalformedUploadError(
                        "not valid JSON: unexpected data after the array", None
                    )
                elif state is _State.FIRST and buf[pos] == "]":
                    pos += 1
                    self._state = _State.DONE
                else:
                    taken = self._element(buf, pos, final=final)
                    if taken is None:
                        break
                    value, pos = taken
                    out.append(value)
        finally:
            self._buffer = buf[pos:]
        return out

    def _element(self, buf: str, pos: int, *, final: bool) -> tuple[object, int] | None:
        """The element at `pos` and the position after its separator; None: wait for text."""
        row = self.count + 1
        try:
            value, after = self._decoder.raw_decode(buf, pos)
        except RecursionError as exc:
            raise MalformedUploadError("not valid JSON: nested too deeply", row) from exc
        except ValueError as exc:
            # Also a truncated element: only the end of the data, or a size no row can
            # reach, makes it a fault.
            if final or len(buf) - pos > self.max_record_chars:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                raise MalformedUploadError(f"not valid JSON: {reason}", row) from exc
            return None
        after = _skip_whitespace(buf, after)
        if after >= len(buf):
            # A number can continue in the next chunk ("12" then "34"): decide on more text.
            if final:
                raise MalformedUploadError("not valid JSON: the array is not closed with ']'", row)
            return None
        separator = buf[after]
        if separator == ",":
            self._state = _State.NEXT
        elif separator == "]":
            self._state = _State.DONE
        else:
            raise MalformedUploadError(f"not valid JSON: expected ',' or ']' after row {row}", row)
        self.count = row
        return value, after + 1
