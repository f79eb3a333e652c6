"""Provider keys: `Authorization: Bearer <key>`, acting only for the key's own provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from api.deps import SessionDep
from catalog.providers import find_key_owner

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="moc-catalog"'}


def key_owner(request: Request, session: SessionDep) -> str:
    """The provider id of the request's key; 401 without a valid, unrevoked key."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    owner = find_key_owner(session, key.strip()) if scheme.lower() == "bearer" and key else None
    if owner is None:
        raise HTTPException(401, "a valid provider key is required", headers=CHALLENGE)
    return owner


def acting_provider(provider_id: str, owner: Annotated[str, Depends(key_owner)]) -> str:
    """The path's provider, when the key belongs to it; 403 for any other provider."""
    if provider_id != owner:
        raise HTTPException(403, "this key acts only for its own provider")
    return provider_id


ProviderDep = Annotated[str, Depends(acting_provider)]
