"""Where a credentials rotation stands (issue 11, Medium 6): only a finished one counts."""

from duka_operator.rotation import (
    EXPIRATION_ATTRIBUTE,
    in_progress,
    rotation_has_grace,
    rotation_step,
)


def test_no_annotation_or_the_recorded_one_means_nothing_to_do() -> None:
    assert rotation_step(None, {}) == "none"
    assert rotation_step("1", {"rotatedFor": "1"}) == "none"


def test_a_new_value_starts_a_rotation_and_the_same_one_continues_it() -> None:
    assert rotation_step("1", {}) == "start"
    assert rotation_step("2", {"rotatedFor": "1"}) == "start"
    rolling = {"rotatedFor": "1", "rotation": in_progress("2", ["web", "api"])}
    assert rotation_step("2", rolling) == "continue"
    # A newer request while one rolls out starts again (a fresh secret for the newest value).
    assert rotation_step("3", rolling) == "start"


def test_in_progress_lists_the_rolled_deployments() -> None:
    assert in_progress("7", ["web", "api"]) == {
        "for": "7",
        "phase": "RollingOut",
        "deployments": ["api", "web"],
    }


def test_grace_only_where_keycloaks_rotation_policy_applies() -> None:
    assert rotation_has_grace({"attributes": {EXPIRATION_ATTRIBUTE: "1827963609"}})
    assert not rotation_has_grace({"attributes": {"client.secret.creation.time": "1"}})
    assert not rotation_has_grace({})
