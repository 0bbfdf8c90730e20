"""Request bodies as records, per-request counts from running totals, and the settings that
fail closed without a token."""

from __future__ import annotations

import json

import pytest

from models_ml.raw_validation import INVALID_JSON
from orchestration.api.payloads import (
    BodyNotJson,
    UnsupportedContentType,
    body_records,
    media_type,
)
from orchestration.api.settings import ApiSettings
from orchestration.api.writer import Counts, CountsUnattributable, split_totals
from orchestration.readers import parse_json_line


def test_media_type_ignores_parameters_and_case():
    assert media_type("Application/JSON; charset=utf-8") == "application/json"
    assert media_type(None) == ""


def test_an_object_is_one_record_kept_as_sent():
    body = b'{"prediction_id": "p", "score": NaN}'
    (record,) = body_records("application/json", body)
    assert record.payload == body.decode() and record.value["prediction_id"] == "p"


def test_an_array_is_one_record_per_element_numbered_by_position():
    records = body_records("application/json", b'[{"a": 1}, 7, {"b": [1, 2]}]')
    assert [r.line_number for r in records] == [1, 2, 3]
    assert [r.value for r in records] == [{"a": 1}, 7, {"b": [1, 2]}]
    assert json.loads(records[2].payload) == {"b": [1, 2]}


def test_ndjson_lines_are_read_as_a_json_lines_file_reads_them():
    body = b'{"a": 1}\r\n\n{oops\n{"b": 2}'
    records = body_records("application/x-ndjson", body)
    expected = [parse_json_line(1, b'{"a": 1}'), parse_json_line(3, b"{oops"),
                parse_json_line(4, b'{"b": 2}')]
    assert records == expected
    assert records[1].parse_reason == INVALID_JSON


@pytest.mark.parametrize(("content_type", "body", "n_kept"), [
    ("application/json", b"<xml/>", 1),         # the whole body, as one payload
    ("application/json", b"   ", 0),            # nothing to keep
    ("application/x-ndjson", b"a\nb\n", 2),     # no line is JSON: each line is kept
])
def test_a_body_that_is_not_json_is_refused_with_what_to_quarantine(content_type, body,
                                                                     n_kept):
    with pytest.raises(BodyNotJson) as caught:
        body_records(content_type, body)
    assert len(caught.value.records) == n_kept
    assert all(r.parse_error for r in caught.value.records)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/xml"])
def test_other_content_types_are_refused(content_type):
    with pytest.raises(UnsupportedContentType):
        body_records(content_type, b"{}")


def test_running_totals_split_into_each_requests_counts():
    # Hand-worked: request 1 (3 rows) 2 accepted + 1 bad score; request 2 (2 rows) one
    # duplicate of request 1 and one bad JSON line.
    totals = [Counts(3, 2, 0, 1, {"score_out_of_range": 1}),
              Counts(5, 2, 1, 2, {"score_out_of_range": 1, "invalid_json": 1})]
    assert split_totals(totals, [3, 2]) == [
        Counts(3, 2, 0, 1, {"score_out_of_range": 1}),
        Counts(2, 0, 1, 1, {"invalid_json": 1}),
    ]


@pytest.mark.parametrize(("totals", "sizes"), [
    ([Counts(5, 5, 0, 0, {})], [3, 2]),                              # one total for two requests
    ([Counts(2, 2, 0, 0, {}), Counts(5, 5, 0, 0, {})], [3, 2]),      # sizes do not match
])
def test_totals_that_do_not_match_the_requests_are_refused(totals, sizes):
    with pytest.raises(CountsUnattributable):
        split_totals(totals, sizes)


def test_settings_fail_closed_without_a_token(monkeypatch):
    monkeypatch.delenv("VIGIE_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="VIGIE_API_TOKEN is not set"):
        ApiSettings.from_env()
    assert ApiSettings.from_env(allow_no_token=True).token is None
    monkeypatch.setenv("VIGIE_API_MAX_BODY_BYTES", "0")
    with pytest.raises(ValueError, match="VIGIE_API_MAX_BODY_BYTES"):
        ApiSettings.from_env(token="t")
