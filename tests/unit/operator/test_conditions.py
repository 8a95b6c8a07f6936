from duka_operator.conditions import phase_status, set_condition


def test_set_condition_replaces_and_keeps_transition_time_while_status_holds() -> None:
    first = set_condition([], "Ready", True, "Reconciled", "ok", 1, now="2026-01-01T00:00:00Z")
    again = set_condition(first, "Ready", True, "Reconciled", "ok", 2, now="2026-02-01T00:00:00Z")
    assert len(again) == 1
    assert again[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert again[0]["observedGeneration"] == 2
    flipped = set_condition(again, "Ready", False, "Down", "no", 2, now="2026-03-01T00:00:00Z")
    assert flipped[0]["status"] == "False"
    assert flipped[0]["lastTransitionTime"] == "2026-03-01T00:00:00Z"


def test_conditions_are_ordered_ready_progressing_degraded() -> None:
    conds = set_condition([], "Degraded", True, "r", "m", None)
    conds = set_condition(conds, "Ready", False, "r", "m", None)
    assert [c["type"] for c in conds] == ["Ready", "Degraded"]
    assert "observedGeneration" not in conds[0]


def test_phase_status_sets_all_three_conditions() -> None:
    status = phase_status([], "Degraded", "KeycloakUnavailable", "down", 3)
    assert status["phase"] == "Degraded"
    assert status["observedGeneration"] == 3
    by_type = {c["type"]: c["status"] for c in status["conditions"]}
    assert by_type == {"Ready": "False", "Progressing": "False", "Degraded": "True"}
    ready = phase_status(status["conditions"], "Ready", "Reconciled", "ok", 3)
    assert {c["type"]: c["status"] for c in ready["conditions"]}["Ready"] == "True"
    assert all(c["message"] == "ok" for c in ready["conditions"])


def test_failed_phase_is_degraded() -> None:
    status = phase_status([], "Failed", "InvalidSpec", "bad", 1)
    assert {c["type"]: c["status"] for c in status["conditions"]}["Degraded"] == "True"
