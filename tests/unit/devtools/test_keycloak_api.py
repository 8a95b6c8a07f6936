"""What `make dev` prints about logging in."""

from __future__ import annotations

from devtools.keycloak_api import DEMO_USERS, curl_for_token, dev_summary

ISSUER = "http://127.0.0.1:8180/realms/duka"


def test_the_curl_line_asks_the_dev_client_for_a_demo_users_token() -> None:
    line = curl_for_token(ISSUER, "analyst")
    assert line.startswith(f"TOKEN=$(curl -s {ISSUER}/protocol/openid-connect/token ")
    assert "-d client_id=duka-cli -d username=analyst -d password=analyst-dev-password" in line
    assert line.endswith("""print(json.load(sys.stdin)["access_token"])')""")


def test_the_summary_names_the_issuer_every_demo_user_and_the_api() -> None:
    text = "\n".join(dev_summary(ISSUER, "http://127.0.0.1:8000"))
    assert ISSUER in text
    for user in DEMO_USERS.values():
        assert f"{user.username}/{user.password}" in text
    assert "customer CUST-000001" in text
    assert "duka-ingest / dev-ingest-secret-not-for-production" in text
    assert "http://127.0.0.1:8000/api/v1/customers" in text
