"""OpenAPI for the upload routes: they read the body themselves, so it is described here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from duka.orders.schemas import ORDER_EXAMPLE
from duka.uploads.exceptions import MAX_LISTED_ERRORS

COMMON = f"""
Send the rows in one of three ways:

* `text/csv`: the body is a CSV file (UTF-8, comma separated, a header row first);
* `application/json`: the body is a JSON array of row objects;
* `multipart/form-data`: a form whose field `file` holds a `.csv` or `.json` file.

The columns (CSV header, or object keys) are the fields of the single-create request,
with the same rules; an empty CSV cell means the field is not given. Unknown, unnamed or
repeated columns are refused. Blank CSV lines are skipped.

**All or nothing.** If any row is bad the answer is 422 and nothing is stored. `errors`
lists every bad row (`row` is the 1-based data row: the header is not counted, blank lines
are), with the field at fault and why; at most {MAX_LISTED_ERRORS} errors are listed, and
`detail` gives the number of bad rows. Malformed CSV or JSON is refused naming the row
where reading stopped. An upload holds at most `DUKA_MAX_UPLOAD_ROWS` rows (200,000 by
default; more is 413) within the upload size limit (`DUKA_MAX_UPLOAD_BYTES`, 413).

The answer counts what was created; an `Idempotency-Key` replays it for the same rows.
"""

CUSTOMERS = (
    """Creates customers in bulk. A row without `code` gets a generated one (CUST-000001…).
A code used twice in the upload (in any case) or by a stored customer fails that row.
"""
    + COMMON
)

ORDERS = (
    """Creates orders in bulk, each with its pending SMS outbox row, exactly as single order
creation does. Each row names its customer by `customer_code` (any case) or
`customer_id`, exactly one of them; a customer that does not exist fails that row.
Rows without `ordered_at` get the time of the upload; without `currency`, the default.
"""
    + COMMON
)

CUSTOMERS_CSV = "code,name,phone\nCUST-0001,Jane Wanjiku,0712345678\n,Otieno Omondi,+254722000111\n"
ORDERS_CSV = (
    "customer_code,item,quantity,amount,currency,ordered_at\n"
    "CUST-0001,Maize flour 2kg,2,1250.00,KES,2026-11-26T14:05:00+03:00\n"
    'CUST-0001,"Sugar, 1kg",1,180,,\n'
)
CUSTOMERS_JSON: list[dict[str, Any]] = [
    {"code": "CUST-0001", "name": "Jane Wanjiku", "phone": "0712345678"},
    {"name": "Otieno Omondi", "phone": "+254722000111"},
]
ORDERS_JSON: list[dict[str, Any]] = [
    ORDER_EXAMPLE,
    {"customer_code": "CUST-0001", "item": "Sugar, 1kg", "amount": "180"},
]


def request_body(
    model: type[BaseModel], csv_example: str, json_example: list[dict[str, Any]]
) -> dict[str, Any]:
    """`openapi_extra` for a route that takes `model` rows as CSV, a JSON array or a file."""
    row = model.model_json_schema()
    row.pop("examples", None)
    return {
        "requestBody": {
            "required": True,
            "description": f"Rows of {model.__name__}, as CSV, a JSON array, or a file in a form.",
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": csv_example},
                "application/json": {
                    # An upload without rows is refused (422): at least one item.
                    "schema": {"type": "array", "minItems": 1, "items": row},
                    "example": json_example,
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "A .csv or .json file of rows.",
                            }
                        },
                    },
                    "encoding": {"file": {"contentType": "text/csv, application/json"}},
                },
            },
        }
    }
