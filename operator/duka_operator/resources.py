"""The operator's API group and version, and the plurals of its custom resources."""

GROUP, VERSION = "duka.dev", "v1alpha1"
KEYCLOAK_CLIENTS = "keycloakclients"
DATABASE_CONFIGS = "databaseconfigs"
