"""The SMS outbox's state machine: every statement on `notifications` and `delivery_reports`.

One module per concern: `sql` (shared fragments, statuses spelled from the enum),
`enqueue` (rows entering pending: with their order, or by an operator's retry), `claim`
(claims and their leases), `attempts`, `work` (what the sweeper looks at), `reports`
(delivery reports and the message-id locks), `evidence` (the reconciler's reads and
moves), and `store` (`Outbox`, the sender's methods over them).
"""
