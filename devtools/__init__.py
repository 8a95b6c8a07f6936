"""Local stand-ins for production services (`make dev` and the test session), never prod."""
