"""What `vigie serve` is configured with: the warehouse, the bearer token and the limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from orchestration.warehouse import WarehouseConfig

TOKEN_ENV = "VIGIE_API_TOKEN"
MAX_BODY_ENV = "VIGIE_API_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
# Rows one DuckDB flush takes from the queue: several small requests become one transaction
# series on one connection, a large request still goes alone.
DEFAULT_BATCH_MAX_ROWS = 20_000
# Requests waiting for the DuckDB writer; a full queue makes the next request wait, not fail.
DEFAULT_QUEUE_SIZE = 1_000

ERR_NO_TOKEN = (f"{TOKEN_ENV} is not set: set it to the bearer token clients must send, or "
                "pass --insecure-no-token to serve without authentication (local trials only)")
ERR_EMPTY_TOKEN = f"{TOKEN_ENV} is set but empty or blank: a token must have characters"
ERR_MAX_BODY = f"{MAX_BODY_ENV} must be a positive integer of bytes, got {{value!r}}"


@dataclass(frozen=True)
class ApiSettings:
    """The API's configuration. Without a token the app refuses to start (fail closed) unless
    `allow_no_token` says so explicitly."""

    warehouse: WarehouseConfig = field(default_factory=WarehouseConfig.from_env)
    token: str | None = None
    allow_no_token: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    batch_max_rows: int = DEFAULT_BATCH_MAX_ROWS
    queue_size: int = DEFAULT_QUEUE_SIZE

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError(ERR_EMPTY_TOKEN)
        if self.token is None and not self.allow_no_token:
            raise ValueError(ERR_NO_TOKEN)
        if self.max_body_bytes < 1:
            raise ValueError(ERR_MAX_BODY.format(value=self.max_body_bytes))

    @classmethod
    def from_env(cls, target: str | None = None, **overrides) -> ApiSettings:
        """Read VIGIE_API_TOKEN, VIGIE_API_MAX_BODY_BYTES and the warehouse's VIGIE_* variables."""
        values: dict = {"warehouse": WarehouseConfig.from_env(target=target),
                        "token": os.environ.get(TOKEN_ENV)}
        if os.environ.get(MAX_BODY_ENV):
            values["max_body_bytes"] = _positive_int(os.environ[MAX_BODY_ENV])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(ERR_MAX_BODY.format(value=text)) from None
    if value < 1:
        raise ValueError(ERR_MAX_BODY.format(value=text))
    return value
