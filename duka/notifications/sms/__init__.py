"""Sending SMS: the `SmsGateway` port, its outcome model, and the Africa's Talking adapter."""
