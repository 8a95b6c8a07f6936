"""Callbacks from outside services (Africa's Talking delivery reports), outside bearer auth."""
