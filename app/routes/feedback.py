"""Customer feedback: a CSAT rating (1-5) of one of the caller's conversations."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import ChatDep, CustomerDep, ServicesDep
from app.openapi import responses
from observability.metrics import record_feedback

router = APIRouter(prefix="/v1", tags=["feedback"])


class FeedbackRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=64)
    rating: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    comment: str | None = Field(None, max_length=2000)


@router.post("/feedback", status_code=201, responses=responses(401, 404, 422, 503))
async def feedback(
    body: FeedbackRequest, customer_id: CustomerDep, chat: ChatDep, services: ServicesDep
) -> dict:
    """Rate one of your conversations (the same credentials that opened it)."""
    await chat.open_session(body.session_id, customer_id)  # 404 for someone else's
    comment = (body.comment or "").strip() or None
    stored = await asyncio.to_thread(
        services.store.add_feedback, body.session_id, customer_id, body.rating, comment
    )
    record_feedback(body.rating)
    return stored
