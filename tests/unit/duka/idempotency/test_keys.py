from __future__ import annotations

import pytest

from duka.core.errors import ValidationFailedError
from duka.customers.schemas import CustomerCreate
from duka.idempotency.service import MAX_KEY_LENGTH, check_key, fingerprint


@pytest.mark.parametrize(
    "key", ["k", "3f1c0a2e-8b1d-4c59-9a37-5b0d2f1e7a10", "x" * MAX_KEY_LENGTH, "a b"]
)
def test_valid_keys_are_returned(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * (MAX_KEY_LENGTH + 1), "a\tb", "a\nb", "a\x00b"])
def test_invalid_keys_name_the_header(key: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        check_key(key)
    assert [e.field for e in caught.value.errors] == ["header.Idempotency-Key"]


def test_fingerprint_is_stable_and_sensitive_to_every_field() -> None:
    base = CustomerCreate.model_validate({"name": "Jane", "phone": "0712345678"})
    same = CustomerCreate.model_validate({"phone": "0712345678", "name": " Jane "})
    other = CustomerCreate.model_validate({"name": "Jane", "phone": "0712345679"})
    with_code = CustomerCreate.model_validate({"name": "Jane", "phone": "0712345678", "code": "C"})
    assert fingerprint(base) == fingerprint(same)
    assert len(fingerprint(base)) == 64
    assert len({fingerprint(base), fingerprint(other), fingerprint(with_code)}) == 3
