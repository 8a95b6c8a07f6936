"""GraphiQL at GET /graphql: self-hosted, strict CSP, Keycloak login (docs/graphql.md)."""
