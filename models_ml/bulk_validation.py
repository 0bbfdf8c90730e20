"""Bulk validation of a chunk of records in DuckDB: the clean majority typed and hashed in one
query, the rest named for the row-by-row validator (models_ml.raw_validation).

The bulk path takes a row only when it is sure the row validator would accept it and produce
the same values and record_hash: plain JSON objects whose fields have the plain types, texts
without control characters or \\u escapes, scores and latencies written without an exponent,
timestamps in the one ISO-8601 shape both parsers read alike, flat features objects without
repeated keys or exponents. Every other row goes to the row validator, which has the last word
on it (its reason, or the same row by another way), so the semantics are the row validator's.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from models_ml.raw_validation import FEEDBACK_KINDS, ContractRules

# A zone-less or zoned ISO-8601 timestamp that Python's datetime.fromisoformat and DuckDB's
# cast read as the same instant (hours 00-23, seconds 00-59, at most six fraction digits).
TIMESTAMP_SHAPE = (r"^(\d{4}-\d{2}-\d{2})[T ](([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?)"
                   r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$")
DECIMAL_SHAPE = r"^[0-9]+(\.[0-9]+)?$"
# A features text both serializers write alike: flat, no escapes, no exponent, no NaN, no
# integer too long for a 64-bit float to keep exactly.
FEATURES_UNSURE = r"(?i)\\|[0-9]e|nan|inf|(^|[^.0-9])[0-9]{16,}"

PREDICTION_FIELDS = ("prediction_id", "model_name", "model_version", "scored_at", "entity_id",
                     "features", "score", "decision", "latency_ms")
FEEDBACK_FIELDS = ("feedback_id", "prediction_id", "received_at", "kind", "outcome", "rating",
                   "event", "comment")


# What DuckDB's JSON reader takes and Python's refuses, and a value cannot show: a trailing
# comma. (NaN and Infinity it also takes, but they show in the values, which are checked.)
LENIENT_JSON = r",\s*[\]}]"


def lines_front(names: tuple[str, ...]) -> str:
    """`picked` from _vigie_lines (i, line): every field as JSON text, one parse per line, and
    whether the keys are distinct (a repeated key: DuckDB reads the first, orjson the last)."""
    paths = ", ".join(f"'$.\"{n}\"'" for n in names)
    picks = ", ".join(f"v[{k + 1}] as j_{n}" for k, n in enumerate(names))
    return f"""picked as (
        select i, {picks}, v is not null and list_unique(keys) = len(keys) as distinct_keys
        from (
            select i, case when plain_line then try(json_extract(line, [{paths}]))::varchar[]
                end as v, case when plain_line then try(json_keys(line)) end as keys
            from (select i, line, line is not null and left(line, 1) = '{{'
                      and not regexp_matches(line, '{LENIENT_JSON}') as plain_line
                  from _vigie_lines)))"""


def file_front(names: tuple[str, ...], path: str) -> str:
    """`picked` from a JSON Lines file that DuckDB's reader took whole (it refuses repeated keys
    and arrays); `i` is the record's rank in the file."""
    columns = ", ".join(f"'{n}': 'JSON'" for n in names)
    picks = ", ".join(f"{n}::varchar as j_{n}" for n in names)
    literal = path.replace("'", "''")
    return f"""picked as (
        select row_number() over () - 1 as i, {picks}, true as distinct_keys
        from read_json('{literal}', format = 'newline_delimited', columns = {{{columns}}}))"""


def _is_text(x: str) -> str:
    # A JSON string token without escapes: its text is what is between the quotes.
    return f"(left({x}, 1) = '\"' and strpos({x}, '\\') = 0 and {x} <> '\"\"')"


def _text(name: str, *, required: bool) -> str:
    """SQL condition: the field is a plain text (or, if not required, absent, null or empty)."""
    x = f"j_{name}"
    return _is_text(x) if required else f"({_absent(name)} or {_is_text(x)})"


def _absent(name: str) -> str:
    x = f"j_{name}"
    return f"({x} is null or {x} = 'null' or {x} = '\"\"')"


def _value(name: str) -> str:
    x = f"j_{name}"
    return f"case when {_is_text(x)} then substr({x}, 2, length({x}) - 2) end"


def _number(name: str) -> str:
    """SQL double: a JSON number, or a text written as a plain decimal; else null (true, null,
    an object; NaN and Infinity come out as such and fail the finiteness checks)."""
    x = f"j_{name}"
    return (f"case when left({x}, 1) <> '\"' then try_cast({x} as double) "
            f"when {_is_text(x)} and regexp_matches({_value(name)}, '{DECIMAL_SHAPE}') "
            f"then {_value(name)}::double end")


def _plain_number(expr: str) -> str:
    return f"(isfinite({expr}) and strpos(cast({expr} as varchar), 'e') = 0)"


def _timestamp(name: str) -> str:
    """SQL timestamp in UTC from a text of TIMESTAMP_SHAPE (null when it is not one); the
    validation connection's time zone is UTC, so a zone-less text is read as UTC."""
    text = _value(name)
    return (f"case when regexp_matches({text}, '{TIMESTAMP_SHAPE}') "
            f"then try_cast({text} as timestamptz)::timestamp end")


def _iso(expr: str) -> str:
    """orjson's rendering of a naive datetime: microseconds only when there are some."""
    return (f"case when epoch_us({expr}) % 1000000 = 0 then strftime({expr}, '%Y-%m-%dT%H:%M:%S') "
            f"else strftime({expr}, '%Y-%m-%dT%H:%M:%S.%f') end")


def _in_range(expr: str) -> str:
    return f"({expr} >= timestamp '1000-01-01' and {expr} < timestamp '10000-01-01')"


def _json(expr: str) -> str:
    # The bulk path's texts hold neither quotes nor backslashes: JSON writes them as they are.
    return f"case when {expr} is null then 'null' else concat('\"', {expr}, '\"') end"


def _hash(pairs: list[tuple[str, str]]) -> str:
    """sha256 of the canonical JSON raw_validation.record_hash writes (keys sorted)."""
    body = ", ',', ".join(f"'\"{k}\":', {v}" for k, v in sorted(pairs))
    return f"sha256(concat('{{', {body}, '}}'))"


PREDICTION_HASH = _hash([("decision", _json("decision")), ("entity_id", _json("entity_id")),
        ("features", "concat('\"', replace(features, '\"', '\\\"'), '\"')"),
        ("latency_ms", "coalesce(cast(latency_ms as varchar), 'null')"),
        ("model_name", _json("model_name")), ("model_version", _json("model_version")),
        ("prediction_id", _json("prediction_id")), ("score", "cast(score as varchar)"),
        ("scored_at", "concat('\"', " + _iso("scored_at") + ", '\"')")])
FEEDBACK_HASH = _hash([("comment", _json("comment")), ("event", _json("event")),
        ("feedback_id", _json("feedback_id")), ("kind", _json("kind")),
        ("outcome", _json("outcome")),
        ("prediction_id", _json("prediction_id")),
        ("rating", "coalesce(cast(rating as varchar), 'null')"),
        ("received_at", "concat('\"', " + _iso("received_at") + ", '\"')")])

PREDICTIONS_SQL = f"""
with {{front}},
typed as materialized (
    select i, {_value('prediction_id')} as prediction_id, {_value('model_name')} as model_name,
        {_value('model_version')} as model_version, {_timestamp('scored_at')} as scored_at,
        {_value('entity_id')} as entity_id,
        case when left(j_features, 1) = '{{' then j_features
             when {_is_text('j_features')} or left(j_features, 1) = '"'
                 then try(json(j_features->>'$'))::varchar end as features,
        json_keys(features) as feature_keys,
        {_number('score')} as score, {_value('decision')} as decision,
        {_number('latency_ms')} as latency_ms,
        {_text('prediction_id', required=True)} and {_text('model_name', required=True)}
        and {_text('model_version', required=True)} and {_text('decision', required=True)}
        and {_text('entity_id', required=False)}
        and ({_absent('latency_ms')} or {_number('latency_ms')} is not null)
        and distinct_keys as plain
    from picked
),
checked as materialized (
    select t.*, plain and features is not null and scored_at is not null
        and {_in_range('scored_at')}
        and left(features, 1) = '{{' and strpos(substr(features, 2), '{{') = 0
        and strpos(features, '[') = 0 and not regexp_matches(features, '{FEATURES_UNSURE}')
        and list_unique(feature_keys) = len(feature_keys)
        and score is not null and {_plain_number('score')} and score between 0 and 1
        and (latency_ms is null or ({_plain_number('latency_ms')} and latency_ms >= 0)) as sure
    from typed t
)
select i, prediction_id, model_name, model_version, scored_at, entity_id, features, score,
    decision, latency_ms, {PREDICTION_HASH} as record_hash
from checked t
where sure and (t.model_name in (select model_name from _vigie_models where decision is null)
                or t.model_name || chr(31) || t.decision in (
                    select model_name || chr(31) || decision from _vigie_models))
"""

FEEDBACK_SQL = f"""
with {{front}},
typed as materialized (
    select i, {_value('feedback_id')} as feedback_id, {_value('prediction_id')} as prediction_id,
        {_timestamp('received_at')} as received_at, lower({_value('kind')}) as kind,
        {_value('outcome')} as outcome_text, {_number('rating')} as rating_value,
        {_value('event')} as event_text, {_value('comment')} as comment,
        {_text('feedback_id', required=True)} and {_text('prediction_id', required=True)}
        and {_text('kind', required=True)} and regexp_matches(j_kind, '^"[A-Za-z]+"$')
        and {_text('outcome', required=False)} and {_text('comment', required=False)}
        and {_text('event', required=False)}
        and regexp_matches(coalesce(j_event, ''), '^[ -~]*$')
        and ({_absent('rating')} or {_number('rating')} is not null)
        and distinct_keys as plain
    from picked
),
clean as (
    select t.*,
        case when kind = 'label' then outcome_text end as outcome,
        case when kind = 'rating' then rating_value::integer end as rating,
        case when kind = 'implicit' then lower(event_text) end as event
    from typed t
    where plain and received_at is not null and {_in_range('received_at')}
      and kind in {tuple(FEEDBACK_KINDS)!r}
      and (kind <> 'label' or outcome_text in (select outcome from _vigie_outcomes))
      and (rating_value is null or (rating_value = round(rating_value)
                                    and rating_value between 1 and 5))
      and (rating_value is not null or kind <> 'rating')
      and (event_text is not null or kind <> 'implicit')
)
select i, feedback_id, prediction_id, received_at, kind, outcome, rating, event, comment,
    {FEEDBACK_HASH} as record_hash
from clean
"""

SQL = {"predictions": PREDICTIONS_SQL, "feedback": FEEDBACK_SQL}
# What the queries return (for a chunk too small to be worth one: the row validator's rows).
SCHEMAS = {
    "predictions": pa.schema([
        ("i", pa.int64()), ("prediction_id", pa.string()), ("model_name", pa.string()),
        ("model_version", pa.string()), ("scored_at", pa.timestamp("us")),
        ("entity_id", pa.string()), ("features", pa.string()), ("score", pa.float64()),
        ("decision", pa.string()), ("latency_ms", pa.float64()), ("record_hash", pa.string())]),
    "feedback": pa.schema([
        ("i", pa.int64()), ("feedback_id", pa.string()), ("prediction_id", pa.string()),
        ("received_at", pa.timestamp("us")), ("kind", pa.string()), ("outcome", pa.string()),
        ("rating", pa.int32()), ("event", pa.string()), ("comment", pa.string()),
        ("record_hash", pa.string())]),
}
FIELDS = {"predictions": PREDICTION_FIELDS, "feedback": FEEDBACK_FIELDS}


def rules_tables(rules: ContractRules) -> tuple[pa.Table, pa.Table]:
    """(model_name, decision) pairs, decision null for a model that takes any; the outcomes."""
    pairs = [(m, d) for m in rules.known_models
             for d in (rules.decisions_by_model.get(m) or [None])]
    models = pa.table({"model_name": pa.array([p[0] for p in pairs], pa.string()),
                       "decision": pa.array([p[1] for p in pairs], pa.string())})
    return models, pa.table({"outcome": pa.array(sorted(rules.outcomes), pa.string())})


def _run(con: duckdb.DuckDBPyConnection, source: str, front: str, rules: ContractRules,
         tables: dict[str, pa.Table]) -> pa.Table:
    models, outcomes = rules_tables(rules)
    tables = {**tables, "_vigie_models": models, "_vigie_outcomes": outcomes}
    con.execute("set TimeZone = 'UTC'")  # zone-less timestamps are UTC
    for name, table in tables.items():
        con.register(name, table)
    try:
        return con.sql(SQL[source].replace("{front}", front)).to_arrow_table()
    finally:
        for name in tables:
            con.unregister(name)


def validate_lines(con: duckdb.DuckDBPyConnection, source: str, lines: pa.Table,
                   rules: ContractRules) -> pa.Table:
    """The rows of `lines` (columns i, line: a record's JSON text, null if not UTF-8) the bulk
    path is sure of, typed as raw.<source> with `i` and `record_hash`."""
    return _run(con, source, lines_front(FIELDS[source]), rules, {"_vigie_lines": lines})


def validate_file(con: duckdb.DuckDBPyConnection, source: str, path: str,
                  rules: ContractRules) -> pa.Table:
    """As validate_lines, for a JSON Lines file of plain lines (`i`: the line's rank); raises
    duckdb.Error when DuckDB's reader refuses any line of it."""
    return _run(con, source, file_front(FIELDS[source], path), rules, {})
