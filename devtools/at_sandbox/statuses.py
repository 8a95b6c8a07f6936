"""The status vocabulary of Africa's Talking SMS, as the sandbox answers it."""

from __future__ import annotations

from typing import Final

# Per-recipient statusCode → the status string AT puts next to it. AT's documented example
# answers 101 with "Success", so the sandbox does too.
RECIPIENT_STATUS: Final[dict[int, str]] = {
    100: "Processed",
    101: "Success",
    102: "Queued",
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}
ACCEPTED_CODES: Final = frozenset({100, 101, 102})

# Delivery report statuses: intermediate ones, then final ones.
REPORT_INTERMEDIATE: Final = frozenset({"Sent", "Submitted", "Buffered"})
REPORT_FINAL: Final = frozenset({"Success", "Rejected", "Failed", "AbsentSubscriber", "Expired"})
# failureReason is only sent with these statuses.
REPORT_WITH_REASON: Final = frozenset({"Rejected", "Failed"})
FAILURE_REASONS: Final = frozenset(
    {
        "InsufficientCredit",
        "InvalidLinkId",
        "UserIsInactive",
        "UserInBlackList",
        "UserAccountSuspended",
        "NotNetworkSubscriber",
        "UserNotSubscribedToProduct",
        "UserDoesNotExist",
        "DeliveryFailure",
    }
)


def is_accepted(code: int) -> bool:
    return code in ACCEPTED_CODES
