"""End-to-end tests: what Duka delivers (the image, a cluster running the charts, the playbook)
driven as a user would. They need root, podman and the Go tools; `make e2e` runs them."""
