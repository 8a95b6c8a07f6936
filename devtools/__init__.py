"""Dev tooling: `make dev` (`python -m devtools.dev`), the local Keycloak, a Prefect server
process, the Africa's Talking sandbox. Used by development, the tests and the benchmarks,
never in production: the wheel leaves this package out and the product (`api`, `flows`,
`duka_operator`) never imports it (`make lint` checks; docs/architecture.md)."""
