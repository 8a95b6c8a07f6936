"""The outbox's statements spell the statuses from the enum, exactly as the table's
constraint and partial indexes do (a different spelling would miss those indexes)."""

from __future__ import annotations

from duka.notifications.models import Notification, NotificationStatus, sql_literals
from duka.notifications.outbox import sql
from duka.notifications.outbox.enqueue import insert_with_order
from duka.orders.writes import INSERT_ORDER


def test_statuses_are_quoted_constants_in_the_enums_order() -> None:
    assert sql_literals(*NotificationStatus) == (
        "'pending', 'sending', 'sent', 'delivered', 'failed', 'suppressed'"
    )
    assert sql.PENDING == "'pending'"
    assert sql.ACCEPTABLE == "'pending', 'sending', 'failed'"


def test_the_partial_indexes_name_the_same_constants_as_the_statements() -> None:
    wheres = {
        str(index.dialect_options["postgresql"]["where"])
        for index in Notification.metadata.tables["notifications"].indexes
        if index.dialect_options["postgresql"]["where"] is not None
    }
    assert f"status = {sql.PENDING}" in wheres
    assert f"status = {sql.SENDING}" in wheres


def test_the_order_insert_embeds_the_outbox_part_in_its_one_statement() -> None:
    part = insert_with_order(order="o", customer="c", body="%(body)s")
    assert f"n AS (\n    {part}\n)" in INSERT_ORDER
    assert INSERT_ORDER.count("INSERT INTO notifications") == 1
