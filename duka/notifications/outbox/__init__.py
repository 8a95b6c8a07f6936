"""The SMS outbox's state machine: every statement on `notifications` and `delivery_reports`.

One module per concern: `sql` (shared fragments, statuses spelled from the enum),
`enqueue` (the outbox row written with its order), `claim`, `attempts`, `leases`, `work`
(what the sweeper looks at), `reports` (delivery reports and the message-id locks),
`evidence` (the reconciler's reads and moves), `retry` (an operator's failed → pending),
and `store` (`Outbox`, the sender's methods over them).
"""
