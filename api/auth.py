"""Provider keys: `Authorization: Bearer <key>`, acting only for the key's own provider.

The scheme is declared to OpenAPI (``ProviderKey``), so Swagger UI offers its Authorize
button; a request without a usable key is told, in the 401's detail, how to send one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from api.deps import SessionDep
from catalog.providers import KEY_PREFIX, find_key_owner

REALM = 'Bearer realm="moc-catalog"'
HOW = "send your provider key as `Authorization: Bearer <key>`"
KEY_SCHEME = HTTPBearer(
    scheme_name="ProviderKey",
    bearerFormat="provider key",
    description=(
        "A provider key, issued by the catalog's operator (`moc-catalog providers key ID`), "
        f"sent on every provider request as `Authorization: Bearer {KEY_PREFIX}3q2-7wEXAMPLE`. "
        "A key acts only for its own provider. In Swagger UI: Authorize, then paste the key "
        "alone (without `Bearer`)."
    ),
    auto_error=False,  # key_owner explains what is wrong instead of a bare 403
)
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(KEY_SCHEME)]


def _refuse(detail: str, *, invalid: bool = False) -> HTTPException:
    """401 with an RFC 6750 challenge: invalid_token when a key was sent and is not valid."""
    challenge = REALM + (', error="invalid_token"' if invalid else "")
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def _missing_key(request: Request) -> HTTPException:
    """Why a request carries no Bearer key, in words that say how to send one."""
    given = request.headers.get("authorization")
    if given is not None:
        return _refuse("the Authorization header must read `Bearer <key>`; " + HOW)
    if "x-api-key" in request.headers:
        return _refuse(HOW + ", not X-API-Key")
    return _refuse(HOW)


def key_owner(request: Request, session: SessionDep, credentials: CredentialsDep) -> str:
    """The provider id of the request's key; 401 without a valid, unrevoked key."""
    if credentials is None or not credentials.credentials.strip():
        raise _missing_key(request)
    owner = find_key_owner(session, credentials.credentials.strip())
    if owner is None:
        raise _refuse("this provider key is not valid or has been revoked", invalid=True)
    return owner


def acting_provider(provider_id: str, owner: Annotated[str, Depends(key_owner)]) -> str:
    """The path's provider, when the key belongs to it; 403 for any other provider."""
    if provider_id != owner:
        raise HTTPException(403, "this key acts only for its own provider")
    return provider_id


ProviderDep = Annotated[str, Depends(acting_provider)]
