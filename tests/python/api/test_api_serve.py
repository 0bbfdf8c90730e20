"""`vigie serve` for real on 127.0.0.1: good and bad predictions and feedback, with and without
the token, many small concurrent requests, and then the warehouse holds exactly what the
answers acknowledged (raw.predictions, raw.feedback, raw.quarantine)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
from api_rows import AUTH, feedback, prediction, running_server

from orchestration.warehouse import Warehouse

NDJSON = {"content-type": "application/x-ndjson", **AUTH}
MAX_BODY = 20_000


def post(base: str, path: str, body, headers=AUTH) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.post(f"{base}{path}", content=body, headers=headers, timeout=60)
    return httpx.post(f"{base}{path}", json=body, headers=headers, timeout=60)


def ids(warehouse: Warehouse, table: str, column: str) -> set[str]:
    return set(warehouse.query_df(f"select {column} from raw.{table}")[column])


def test_serve_stores_exactly_what_it_acknowledges(warehouse_config, tmp_path):
    accepted: dict[str, set[str]] = {"predictions": set(), "feedback": set()}
    quarantined = 0
    with running_server(warehouse_config, "--max-body-bytes", str(MAX_BODY),
                        log_path=tmp_path / "serve.log") as base:
        # Without the token, or with a wrong one: 401, nothing written.
        assert post(base, "/v1/predictions", prediction("nope-1"), headers={}).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert post(base, "/v1/predictions", prediction("nope-2"), wrong).status_code == 401
        assert httpx.get(f"{base}/v1/health").status_code == 401

        # One object; an array with one bad row; the same array again (duplicates).
        answer = post(base, "/v1/predictions", prediction("p-1")).json()
        assert answer == {"received": 1, "accepted": 1, "duplicates": 0, "quarantined": 0,
                          "quarantine_reasons": {}}
        batch = [prediction("p-2"), prediction("p-3", score=1.5), prediction("p-4")]
        answer = post(base, "/v1/predictions", batch).json()
        assert answer == {"received": 3, "accepted": 2, "duplicates": 0, "quarantined": 1,
                          "quarantine_reasons": {"score_out_of_range": 1}}
        again = post(base, "/v1/predictions", batch).json()
        assert (again["accepted"], again["duplicates"], again["quarantined"]) == (0, 2, 1)
        accepted["predictions"] |= {"p-1", "p-2", "p-4"}
        quarantined += 1  # the same bad row twice is one quarantine row (same payload)

        # NDJSON feedback with a line that is not JSON and a label of an unknown outcome.
        lines = [json.dumps(feedback("f-1", "p-1")), "{not json",
                 json.dumps(feedback("f-2", "p-2", outcome="maybe"))]
        answer = post(base, "/v1/feedback", "\n".join(lines).encode(), NDJSON).json()
        assert answer == {"received": 3, "accepted": 1, "duplicates": 0, "quarantined": 2,
                          "quarantine_reasons": {"invalid_json": 1, "unknown_outcome": 1}}
        accepted["feedback"].add("f-1")
        quarantined += 2

        # A body that is not JSON: 400, and the body is in raw.quarantine.
        response = post(base, "/v1/predictions", b"<xml>nope</xml>",
                        {"content-type": "application/json", **AUTH})
        assert response.status_code == 400
        assert response.json()["quarantined"] == 1
        quarantined += 1
        # A bad content type, a body over the limit: refused before anything is read.
        text = {"content-type": "text/plain", **AUTH}
        assert post(base, "/v1/predictions", b'{"a": 1}', text).status_code == 415
        big = [prediction(f"big-{i}") for i in range(MAX_BODY // 200)]
        assert post(base, "/v1/predictions", big).status_code == 413

        # Many small concurrent requests: every one accepted, each with its own counts.
        def one(i: int) -> dict:
            rows = [prediction(f"c-{i}-{j}") for j in range(1 + i % 3)]
            response = post(base, "/v1/predictions", rows)
            assert response.status_code == 200, response.text
            return {"sent": {r["prediction_id"] for r in rows}, **response.json()}

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(one, range(48)))
        for a in answers:
            assert a["received"] == a["accepted"] == len(a["sent"])
            accepted["predictions"] |= a["sent"]

        health = httpx.get(f"{base}/v1/health", headers=AUTH).json()
        assert health["status"] == "ok"
        assert {i["source"] for i in health["last_ingestions"]} == {"predictions", "feedback"}

    warehouse = Warehouse(warehouse_config)
    assert ids(warehouse, "predictions", "prediction_id") == accepted["predictions"]
    assert ids(warehouse, "feedback", "feedback_id") == accepted["feedback"]
    assert warehouse.scalar("select count(*) from raw.quarantine") == quarantined
    assert warehouse.scalar("select count(*) from raw.quarantine "
                            "where source_file = 'api:/v1/predictions'") == 2
