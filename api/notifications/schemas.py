from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.notifications.models import NotificationStatus


class NotificationPublic(BaseModel):
    status: NotificationStatus = Field(
        description="pending → sending → sent → delivered, or failed (see last_error)."
    )
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
