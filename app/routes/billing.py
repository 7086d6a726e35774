"""Billing endpoints: download one of the caller's invoices as a PDF."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from app.chat import StoreUnavailable
from app.deps import CustomerDep, ServicesDep
from app.errors import ApiError, AuthenticationFailed
from app.openapi import responses
from tools import billing as billing_tools
from tools.errors import BackendUnavailable, NotFound

router = APIRouter(prefix="/v1", tags=["billing"])


class InvoiceNotFound(ApiError):
    status_code = 404
    code = "invoice_not_found"


@router.get(
    "/invoices/{invoice_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The invoice PDF."},
        **responses(401, 404, 422, 503),
    },
)
async def download_invoice(invoice_id: str, customer_id: CustomerDep, services: ServicesDep):
    """The signed-in customer's invoice as a PDF; anyone else's reads like a missing one."""
    if customer_id is None:
        raise AuthenticationFailed("sign in to download invoices (send your bearer token)")
    try:
        filename, pdf = await asyncio.to_thread(
            billing_tools.invoice_document, services.store, customer_id, invoice_id
        )
    except NotFound as exc:
        raise InvoiceNotFound(str(exc)) from exc
    except BackendUnavailable as exc:
        raise StoreUnavailable("our billing system is not answering right now") from exc
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
