"""Session endpoints: read a conversation's transcript."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ChatDep, CustomerDep
from app.openapi import responses
from app.schemas import SessionPublic

router = APIRouter(prefix="/v1", tags=["sessions"])


@router.get(
    "/sessions/{session_id}",
    response_model=SessionPublic,
    responses=responses(401, 404, 422, 503),
)
async def get_session(session_id: str, customer_id: CustomerDep, service: ChatDep):
    """Transcript of one of the caller's conversations."""
    return await service.session(session_id, customer_id)
