"""The report's audit section: the latest `vigie audit`'s checks that did not pass, read from
marts.audit_findings (present only when an audit exists)."""

from __future__ import annotations

import html

import pandas as pd

from orchestration.report.tables import sortable_table

AUDIT_COLUMNS = ["finding_kind", "subject", "check_name", "finding", "detail", "baseline_value",
                 "candidate_value", "observed_value", "bound", "is_assessable"]


def latest_audit(findings: pd.DataFrame) -> pd.DataFrame:
    """The rows of the most recent audit (audited_at, then audit_id)."""
    latest = findings.sort_values(["audited_at", "audit_id"]).iloc[-1]["audit_id"]
    return findings[findings["audit_id"] == latest]


def audit_body(findings: pd.DataFrame) -> str:
    """One line naming the latest audit and its counts, and a table of what did not pass."""
    rows = latest_audit(findings)
    failing = rows[~rows["passed"].astype(bool)]
    head = (f"<p>Audit <code>{html.escape(str(rows['audit_id'].iloc[0]))}</code> "
            f"({html.escape(str(rows['audited_at'].iloc[0]))}): {len(rows)} checks, "
            f"{len(failing)} not passed.</p>")
    return head + sortable_table(failing[AUDIT_COLUMNS], caption="checks not passed "
                                 "(marts.audit_findings)", empty="every check passed")
