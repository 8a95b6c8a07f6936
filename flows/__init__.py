"""Sending order SMS: a long-lived runner that hears new outbox rows, claims them safely,
and sends each one as a Prefect task run (with retries) through the SmsGateway port.

Start it with `python -m flows` (or `duka-flows`); see docs/notifications.md.
"""
