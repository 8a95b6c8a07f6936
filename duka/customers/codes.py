"""Generated customer codes: `CUST-` and a number from `customer_code_seq`, drawn in SQL.

Single creation draws one code inside its INSERT (`GENERATED_CODE`), a bulk upload draws
as many as it needs at once (`NEXT_CODES`); both spell a code with `generated_code`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, Select, Text, bindparam, case, cast, func, literal
from sqlalchemy import select as select_

from duka.customers.models import customer_code_seq


def generated_code(n: ColumnElement[int]) -> ColumnElement[str]:
    """CUST-000042: six digits at least, more once the sequence passes 999,999 (lpad alone
    would cut them off and repeat earlier codes)."""
    number = cast(n, Text())
    return literal("CUST-", Text()) + case((n < 1_000_000, func.lpad(number, 6, "0")), else_=number)


# One code, for an INSERT's value: the sequence is drawn once, in the scalar subquery.
_one = select_(customer_code_seq.next_value().label("n")).subquery("drawn")
GENERATED_CODE: ColumnElement[str] = select_(generated_code(_one.c.n)).scalar_subquery()

# `:count` codes, in the order they were drawn.
_many = (
    select_(customer_code_seq.next_value().label("n"))
    .select_from(func.generate_series(1, bindparam("count", type_=Integer())))
    .subquery("drawn")
)
NEXT_CODES: Select[str] = select_(generated_code(_many.c.n)).order_by(_many.c.n)
