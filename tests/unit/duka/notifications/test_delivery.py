"""The delivery-report state machine (duka/notifications/delivery.py): final statuses never
move backwards, and the outcome does not depend on the order reports arrive in, nor on
repeats. A hypothesis property over orderings, and the cases it stands for."""

from __future__ import annotations

from functools import reduce
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from duka.notifications.delivery import (
    FINAL,
    INTERMEDIATE,
    Delivery,
    Report,
    ReportStatus,
    apply_report,
    failure_text,
    report_status,
)
from duka.notifications.models import NotificationStatus as N

SENT = Delivery(N.SENT)
REASONS = (None, "DeliveryFailure", "UserInBlackList", "UserIsInactive")


def fold(reports: list[Report], start: Delivery = SENT) -> Delivery:
    return reduce(apply_report, reports, start)


# AT reports each status of a message once (a replay repeats the same report), so a
# message's reports have distinct statuses; the reason is AT's for failures only.
report_sets = st.lists(
    st.builds(
        Report,
        status=st.sampled_from([s.value for s in ReportStatus] + ["SomethingNew"]),
        failure_reason=st.sampled_from(REASONS),
    ),
    unique_by=lambda r: r.status,
    max_size=len(ReportStatus) + 1,
)


@given(reports=report_sets, data=st.data())
def test_the_outcome_does_not_depend_on_arrival_order_or_repeats(
    reports: list[Report], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(reports))
    repeats = data.draw(st.lists(st.sampled_from(reports), max_size=4)) if reports else []
    shuffled = data.draw(st.permutations([*arrival, *repeats]))
    assert fold(shuffled) == fold(reports)


@given(reports=report_sets, data=st.data())
def test_a_final_status_never_moves_backwards(reports: list[Report], data: st.DataObject) -> None:
    arrival = data.draw(st.permutations(reports))
    states = [SENT]
    for report in arrival:
        states.append(apply_report(states[-1], report))
    for before, after in pairwise(states):
        if before.status is N.DELIVERED:
            assert after == before, "delivered is the end"
        if before.status is N.FAILED:
            assert after.status in (N.FAILED, N.DELIVERED), "a failure moves only to delivered"


@given(reports=report_sets)
def test_the_outcome_follows_ats_final_statuses(reports: list[Report]) -> None:
    statuses = {report_status(r.status) for r in reports}
    outcome = fold(reports)
    if ReportStatus.SUCCESS in statuses:
        assert outcome == Delivery(N.DELIVERED)
    elif statuses & (FINAL - {ReportStatus.SUCCESS}):
        assert outcome.status is N.FAILED
        failures = [
            failure_text(r.status, r.failure_reason)
            for r in reports
            if report_status(r.status) in FINAL
        ]
        assert outcome.last_error == min(failures)
    else:
        assert outcome == SENT, "intermediate and unknown statuses change nothing"


@pytest.mark.parametrize("status", sorted(INTERMEDIATE))
def test_an_intermediate_report_after_a_final_one_changes_nothing(status: str) -> None:
    delivered = fold([Report("Success")])
    assert apply_report(delivered, Report(status)) == delivered
    failed = fold([Report("Failed", "DeliveryFailure")])
    assert apply_report(failed, Report(status)) == failed


def test_a_success_after_a_failure_delivers() -> None:
    assert fold([Report("Failed", "DeliveryFailure"), Report("Success")]) == Delivery(N.DELIVERED)
    assert fold([Report("Success"), Report("Rejected")]) == Delivery(N.DELIVERED)


def test_two_failures_keep_the_same_text_in_either_order() -> None:
    expired, rejected = Report("Expired"), Report("Rejected", "UserInBlackList")
    assert fold([expired, rejected]) == fold([rejected, expired])
    assert fold([expired, rejected]).last_error == "not delivered: Expired"


def test_reports_never_touch_a_failure_that_was_not_a_reports() -> None:
    # A send that failed (no report involved) keeps its reason: a report cannot be for it.
    send_failure = Delivery(N.FAILED, "InvalidPhoneNumber: Africa's Talking answered 403")
    assert apply_report(send_failure, Report("Success")) == send_failure
    assert apply_report(send_failure, Report("Failed")) == send_failure
    for other in (N.PENDING, N.SUPPRESSED):
        assert apply_report(Delivery(other), Report("Success")) == Delivery(other)
