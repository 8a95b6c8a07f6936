"""The SMS suppression list: numbers Duka never sends to (docs/notifications.md, "Opt-outs").

Fed by AT's opt-out callback and by sends AT answered `UserInBlacklist`; read by the order
writers, which store a suppressed number's orders with notification status `suppressed`;
listed and cleared by an admin.
"""
