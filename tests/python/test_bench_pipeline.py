"""`python -m bench.pipeline` end to end at a tiny size (3 days x 200 predictions, then one more
day): every stage ran in a process of its own and reported its wall time and peak RSS, the
ingestion counts add up and match both the simulated files and raw.ingestion_batches, the floor
stored every prediction of the file, and each retraining recorded one of the gate's decisions.
The run is made once; a second test shows that the checks fail on a result that is off.
"""

from __future__ import annotations

import copy
import json

import duckdb
import pytest

from bench import pipeline
from bench.pipeline_report import ONE_MORE_DAY

ROWS, DAYS = 600, 3
STAGES = ("init", "simulate", "ingest_predictions", "ingest_feedback", "build", "monitoring",
          "retraining", "floor", *ONE_MORE_DAY)
# ingest stage -> (raw table, the simulate stage's count of the file it read)
INGESTS = {"ingest_predictions": ("predictions", "predictions"),
           "ingest_feedback": ("feedback", "feedback"),
           "one_more_day_predictions": ("predictions", "day_last_predictions"),
           "one_more_day_feedback": ("feedback", "day_last_feedback")}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[dict, dict[str, int], int]:
    """The pipeline's result, raw.ingestion_batches' rows by source, raw.predictions' count."""
    root = tmp_path_factory.mktemp("pipeline")
    pipeline.main(["--rows", str(ROWS), "--days", str(DAYS), "--workdir", str(root / "work"),
                   "--results", str(root / "results")])
    result = json.loads((root / "results" / f"pipeline-{ROWS}.json").read_text())
    warehouse = duckdb.connect(f"{result['workdir']}/warehouse/vigie.duckdb", read_only=True)
    batches = dict(warehouse.execute(
        "select source, sum(n_accepted + n_already_present + n_quarantined) "
        "from raw.ingestion_batches group by source").fetchall())
    stored = warehouse.execute("select count(*) from raw.predictions").fetchall()[0][0]
    warehouse.close()
    return result, batches, stored


def check_result(result: dict, batches: dict[str, int], stored: int) -> None:
    stages = result["stages"]
    assert "failed" not in result, result.get("failed")
    assert set(STAGES) <= set(stages), set(STAGES) - set(stages)
    for name, stage in stages.items():
        assert stage["wall_seconds"] > 0 and stage["peak_rss_mib"] > 0, name
    assert len(result["machine"]["load_average_at_start"]) == 3
    assert len(result["machine"]["load_average_at_end"]) == 3 and result["commit"]

    written = stages["simulate"]["counts"]
    assert written["predictions"] == ROWS and written["day_last_predictions"] == ROWS // DAYS
    for name, (_, file) in INGESTS.items():
        stage = stages[name]
        assert stage["received"] == written[file] > 0, name
        assert stage["accepted"] + stage["duplicates"] + stage["quarantined"] == \
            stage["received"], name
    for source in ("predictions", "feedback"):
        assert batches[source] == sum(stages[name]["received"]
                                      for name, (table, _) in INGESTS.items() if table == source)
    assert stored == ROWS + ROWS // DAYS
    assert stages["floor"]["rows"] == ROWS

    for name in ("retraining", "mitigated_retraining"):
        if name in stages:
            assert stages[name]["decision"] in pipeline.DECISIONS, stages[name]
    summary = result["summary"]
    assert summary["decision"] == stages["retraining"]["decision"]
    assert summary["one_more_day_seconds"] == round(
        sum(stages[name]["wall_seconds"] for name in ONE_MORE_DAY), 3)


def test_pipeline_times_every_stage_and_its_counts_add_up(run):
    check_result(*run)


@pytest.mark.parametrize("stage, field, value", [
    ("ingest_feedback", "accepted", -1),        # a row lost between received and stored
    ("retraining", "decision", None),           # no decision recorded
    ("one_more_day_monitoring", "wall_seconds", 0),  # a stage that did not run
])
def test_the_checks_fail_on_a_result_that_is_off(run, stage, field, value):
    result, batches, stored = copy.deepcopy(run)
    current = result["stages"][stage][field]
    result["stages"][stage][field] = current + value if field == "accepted" else value
    with pytest.raises(AssertionError):
        check_result(result, batches, stored)
