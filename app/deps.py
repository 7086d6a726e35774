"""Dependency aliases: routes get settings, services and identity only through these."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header
from starlette.requests import HTTPConnection

from app.agent_desk import AgentDesk
from app.auth import agent_from_header, customer_from_header
from app.chat import ChatService
from app.errors import AuthenticationFailed
from app.limits import check_turn
from app.notifications import StoreListener
from app.schemas import ChatRequest
from app.settings import Settings
from graph.context import Services


def get_settings(request: HTTPConnection) -> Settings:
    return request.app.state.settings


def get_services(request: HTTPConnection) -> Services:
    return request.app.state.services


def get_chat(request: HTTPConnection) -> ChatService:
    return request.app.state.chat


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]
ChatDep = Annotated[ChatService, Depends(get_chat)]


def get_customer_id(
    settings: SettingsDep,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    """The caller's customer id from the bearer token; None for an anonymous caller."""
    customer_id = customer_from_header(authorization, settings.jwt_secret())
    if customer_id is not None and not services.store.customer_exists(customer_id):
        raise AuthenticationFailed("token names a customer that does not exist")
    return customer_id


CustomerDep = Annotated[str | None, Depends(get_customer_id)]


def get_client(request: HTTPConnection) -> str | None:
    """The caller's network address (the proxy's, behind one), keyed by the abuse limits."""
    return request.client.host if request.client else None


ClientDep = Annotated[str | None, Depends(get_client)]


def limit_turn(
    body: ChatRequest,
    settings: SettingsDep,
    services: ServicesDep,
    customer_id: CustomerDep,
    client: ClientDep,
) -> None:
    """Count this chat message against the flood limits (429 with Retry-After over one)."""
    check_turn(
        services.store,
        settings,
        customer_id=customer_id,
        client=client,
        new_session=body.session_id is None,
    )


TurnLimitDep = Annotated[None, Depends(limit_turn)]


def get_agent(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The agent's name from an agent token (401 without one, 403 for a customer's)."""
    return agent_from_header(authorization, settings.jwt_secret())


def get_desk(request: HTTPConnection) -> AgentDesk:
    return request.app.state.desk


AgentDep = Annotated[str, Depends(get_agent)]
DeskDep = Annotated[AgentDesk, Depends(get_desk)]


def get_listener(request: HTTPConnection) -> StoreListener | None:
    """This worker's store-notification listener; None on SQLite (streams poll there)."""
    return getattr(request.app.state, "listener", None)


ListenerDep = Annotated[StoreListener | None, Depends(get_listener)]
