"""`vigie report`: one self-contained HTML page drawn from the marts, for people who do not
write SQL."""

from orchestration.report.page import render_report, write_report

__all__ = ["render_report", "write_report"]
