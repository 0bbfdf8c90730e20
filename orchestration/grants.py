"""`vigie grant-bi`: a PostgreSQL login role that reads the marts and nothing else.

The role gets USAGE on schema `marts` and SELECT on the tables there now; dbt's `grants` config
(dbt_project.yml, driven by VIGIE_BI_ROLE) grants SELECT again on every table it rebuilds and
its on-run-end hook the USAGE, so the access survives every build. Nothing is granted on
`raw` (feature values may be personal data), `staging` or `intermediate`, and any privilege
found there is revoked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import sqlalchemy as sa

from orchestration.warehouse import Warehouse
from orchestration.warehouse_init import SCHEMAS

BI_ROLE_ENV = "VIGIE_BI_ROLE"
BI_PASSWORD_ENV = "VIGIE_BI_PASSWORD"
DEFAULT_BI_ROLE = "vigie_bi"
READABLE_SCHEMA = "marts"
PRIVATE_SCHEMAS = tuple(s for s in SCHEMAS if s != READABLE_SCHEMA)
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
ERR_TARGET = ("grant-bi needs the PostgreSQL target (--target postgres): a DuckDB file has no "
              "roles; give a BI tool a read-only copy of the file instead")
ERR_ROLE_NAME = ("role name {role!r} is not accepted: lower-case letters, digits and _, "
                 "starting with a letter or _, at most 63 characters")


@dataclass(frozen=True)
class GrantReport:
    role: str
    created: bool
    password_set: bool
    marts_tables: int

    def summary(self) -> str:
        made = "created login role" if self.created else "login role already there:"
        text = (f"{made} {self.role}; USAGE on schema {READABLE_SCHEMA} and SELECT on its "
                f"{self.marts_tables} tables; nothing on {', '.join(PRIVATE_SCHEMAS)}")
        if not self.password_set:
            text += (f" (no password set: {BI_PASSWORD_ENV} is unset, so it logs in only where "
                     "pg_hba.conf needs none)")
        return text


def default_bi_role() -> str:
    first = os.environ.get(BI_ROLE_ENV, "").split(",")[0].strip()
    return first or DEFAULT_BI_ROLE


def check_role_name(role: str) -> str:
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(ERR_ROLE_NAME.format(role=role))
    return role


def grant_bi(warehouse: Warehouse, role: str, password: str | None = None) -> GrantReport:
    """Create (or update) the login role and grant it read access to the marts only."""
    if warehouse.target != "postgres":
        raise ValueError(ERR_TARGET)
    check_role_name(role)
    with warehouse.connect() as conn:
        created = not conn.execute(sa.text("select 1 from pg_roles where rolname = :role"),
                                   {"role": role}).scalar()
        secret = ""
        if password:
            quoted = conn.execute(sa.text("select quote_literal(:p)"), {"p": password}).scalar()
            secret = f" password {quoted}"
        conn.execute(sa.text(f'{"create" if created else "alter"} role "{role}" login{secret}'))
        conn.execute(sa.text(f"create schema if not exists {READABLE_SCHEMA}"))
        conn.execute(sa.text(f'grant usage on schema {READABLE_SCHEMA} to "{role}"'))
        conn.execute(sa.text(f'grant select on all tables in schema {READABLE_SCHEMA} '
                             f'to "{role}"'))
        for schema in PRIVATE_SCHEMAS:
            present = conn.execute(sa.text("select 1 from pg_namespace where nspname = :s"),
                                   {"s": schema}).scalar()
            if present:
                conn.execute(sa.text(f'revoke all on schema {schema} from "{role}"'))
                conn.execute(sa.text(f'revoke all on all tables in schema {schema} '
                                     f'from "{role}"'))
        tables = conn.execute(sa.text("select count(*) from pg_tables where schemaname = :s"),
                              {"s": READABLE_SCHEMA}).scalar()
    return GrantReport(role, created, bool(password), int(tables))
