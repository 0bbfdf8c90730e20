"""The bearer token every /v1 route asks for (VIGIE_API_TOKEN)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ERR_TOKEN = "missing or wrong bearer token (Authorization: Bearer $VIGIE_API_TOKEN)"

bearer = HTTPBearer(auto_error=False, description="The value of VIGIE_API_TOKEN.")


def require_token(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                  ) -> None:
    """401 unless the request carries the configured token; it runs before any body is read,
    so a refused request writes nothing."""
    expected = request.app.state.settings.token
    if expected is None:  # started with --insecure-no-token
        return
    given = credentials.credentials if credentials is not None else ""
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, ERR_TOKEN,
                            headers={"WWW-Authenticate": "Bearer"})
