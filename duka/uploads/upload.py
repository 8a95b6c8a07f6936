"""An upload as the domain reads it: its rows' bytes and their format.

The HTTP entrypoint negotiates the format from the request (`api/uploads/media.py`,
`api/uploads/multipart.py`) and hands the upload over in this form.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum


class UploadFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass
class Upload:
    """The rows' bytes as they arrive; `field` names where faults of the whole body point."""

    format: UploadFormat
    field: str
    chunks: AsyncIterator[bytes]
