"""models/exposures.yml names exactly the marts each consumer reads: the API's status route
(the relations in orchestration/api/status.py) and the report (its REPORT_MARTS)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orchestration.api import status
from orchestration.warehouse import default_project_dir

REF = re.compile(r"ref\('(\w+)'\)")


def exposure_refs(name: str) -> set[str]:
    document = yaml.safe_load((Path(default_project_dir()) / "models" / "exposures.yml")
                              .read_text())
    (exposure,) = [e for e in document["exposures"] if e["name"] == name]
    return {REF.fullmatch(d).group(1) for d in exposure["depends_on"]}


def test_the_status_exposure_is_what_the_status_route_reads():
    queries = [v for k, v in vars(status).items() if k.isupper() and isinstance(v, str)
               and k != "ALERTS"]
    read = {m for q in queries for m in re.findall(r"from marts\.(\w+)", q)}
    assert read == exposure_refs("vigie_api_model_status")
    assert len(read) == 5


def test_the_alerts_exposure_is_what_the_alerts_route_reads():
    assert set(re.findall(r"from marts\.(\w+)", status.ALERTS)) == exposure_refs(
        "vigie_api_alerts") == {"alerts"}


def test_the_report_exposure_is_what_the_report_reads():
    from orchestration.report.marts import REPORT_MARTS

    # audit_findings is read when an audit exists; the exposure cannot name it (Spark disables
    # the audit models, and an exposure may not depend on a disabled node)
    assert set(REPORT_MARTS) - {"audit_findings"} == exposure_refs("vigie_report")
