"""Prefect with a million SMS task runs behind it (`python -m bench.prefect_history`)."""
