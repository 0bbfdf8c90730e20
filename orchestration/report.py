"""`vigie report`: one static HTML page drawn from the marts, for people who do not write SQL."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from orchestration.warehouse import Warehouse, WarehouseError

MARTS = "marts"
RELATION = re.compile(r"from marts\.(\w+)")
ERR_UNREADABLE = "cannot read marts.{relation} in the warehouse at {where}: {reason}"

WIDTH, HEIGHT, PAD = 720, 220, 40
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")

QUERIES = {
    "drift": "select window_date, model_version, drift_share, status, n_drifted, n_features "
             "from marts.drift_summary order by window_date, model_version",
    "drifted": "select window_date, feature_name, psi, ks_statistic, ks_pvalue, drift_rule "
               "from marts.feature_drift where is_drifted order by window_date, feature_name",
    "fairness": "select window_date, attribute, demographic_parity_ratio, "
                "equalized_odds_difference, passes_four_fifths_rule "
                "from marts.fairness_summary order by window_date, attribute",
    "performance": "select window_date, model_version, n_labeled, roc_auc, validation_auc, "
                   "auc_gap from marts.model_performance order by window_date",
    "conformance": "select window_date, feature_name, conformance_rate, n_missing, "
                   "n_type_errors, n_out_of_range, n_unknown_category, is_expected, is_observed "
                   "from marts.schema_conformance "
                   "where conformance_rate < 1 or not is_expected or not is_observed "
                   "order by window_date, feature_name",
    "alerts": "select * from marts.kpi_alerts order by window_date",
    "decisions": "select * from marts.promotion_decisions",
}


def _scale(values: Sequence[float], low: float, high: float, out_low: float,
           out_high: float) -> list[float]:
    span = (high - low) or 1.0
    return [out_low + (v - low) / span * (out_high - out_low) for v in values]


def line_chart(series: dict[str, pd.Series], *, title: str, y_min: float | None = None,
               y_max: float | None = None, reference: float | None = None) -> str:
    """An inline SVG line chart of date-indexed series, with an optional reference line."""
    points = [s.dropna() for s in series.values()]
    points = [p for p in points if len(p)]
    if not points:
        return f"<p><em>{html.escape(title)}: no data yet.</em></p>"
    dates = sorted({d for p in points for d in p.index})
    values = [v for p in points for v in p.to_numpy(dtype=float)]
    low = min(values + ([reference] if reference is not None else [])) if y_min is None else y_min
    high = max(values + ([reference] if reference is not None else [])) if y_max is None \
        else y_max
    x_of = dict(zip(dates, _scale(range(len(dates)), 0, max(len(dates) - 1, 1), PAD,
                                  WIDTH - PAD), strict=True))
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="{PAD}" y="16" font-size="13">{html.escape(title)}</text>']
    for value in (low, high):
        y = _scale([value], low, high, HEIGHT - PAD, PAD)[0]
        parts.append(f'<text x="2" y="{y + 4:.0f}" font-size="10">{value:.2f}</text>')
    if reference is not None:
        y = _scale([reference], low, high, HEIGHT - PAD, PAD)[0]
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#999" stroke-dasharray="4"/>')
    for i, (name, s) in enumerate(series.items()):
        s = s.dropna()
        if not len(s):
            continue
        ys = _scale(list(s.to_numpy(dtype=float)), low, high, HEIGHT - PAD, PAD)
        path = " ".join(f"{x_of[d]:.1f},{y:.1f}" for d, y in zip(s.index, ys, strict=True))
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{path}"/>')
        parts.append(f'<text x="{WIDTH - PAD - 140}" y="{30 + 14 * i}" font-size="11" '
                     f'fill="{colour}">{html.escape(str(name))}</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="10">{dates[0]}</text>'
                 f'<text x="{WIDTH - PAD - 60}" y="{HEIGHT - 8}" font-size="10">{dates[-1]}</text>')
    return "".join(parts) + "</svg>"


def table(frame: pd.DataFrame | None, *, limit: int = 50) -> str:
    if frame is None or frame.empty:
        return "<p><em>Nothing to show.</em></p>"
    shown = frame.head(limit)
    note = f"<p>First {limit} of {len(frame)} rows.</p>" if len(frame) > limit else ""
    return shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="—",
                         border=0, classes="t") + note


def _read(warehouse: Warehouse) -> dict[str, pd.DataFrame | None]:
    """One frame per query; None for a mart not built yet. A warehouse that cannot be read
    (unreachable, locked, missing, refused) is an error, never an empty page."""
    reader = Warehouse(warehouse.config, read_only=True)
    with reader.connect() as conn:
        inspector = sa.inspect(conn)
        built = (set(inspector.get_table_names(schema=MARTS))
                 | set(inspector.get_view_names(schema=MARTS))) \
            if inspector.has_schema(MARTS) else set()
    frames = {}
    for name, sql in QUERIES.items():
        relation = RELATION.search(sql).group(1)
        if relation not in built:
            frames[name] = None  # shown as "Nothing to show"; the rest still renders
            continue
        try:
            frames[name] = reader.query_df(sql)
        except WarehouseError:
            raise
        except Exception as exc:
            raise WarehouseError(ERR_UNREADABLE.format(relation=relation,
                                                       where=warehouse.config.where,
                                                       reason=_first_line(exc))) from exc
    return frames


def render_report(frames: dict[str, pd.DataFrame | None], *, generated_at: dt.datetime) -> str:
    """The report's HTML from the mart frames (any of them may be None)."""
    sections = []
    drift = frames.get("drift")
    if drift is not None and not drift.empty:
        shares = {f"drift share {v}": g.set_index("window_date")["drift_share"]
                  for v, g in drift.groupby("model_version")}
        sections.append(line_chart(shares, title="Share of drifted features by day",
                                   y_min=0, y_max=1, reference=0.3))
    sections.append("<h3>Drifted features</h3>" + table(frames.get("drifted")))
    fairness = frames.get("fairness")
    if fairness is not None and not fairness.empty:
        ratios = {f"{a}": g.set_index("window_date")["demographic_parity_ratio"]
                  for a, g in fairness.groupby("attribute")}
        sections.append("<h2>Parity by group</h2>" + line_chart(
            ratios, title="Demographic parity ratio (four-fifths rule at 0.8)", y_min=0,
            y_max=1, reference=0.8))
    performance = frames.get("performance")
    if performance is not None and not performance.empty:
        sections.append("<h2>Model performance</h2>" + line_chart(
            {"production AUC": performance.set_index("window_date")["roc_auc"],
             "validation AUC": performance.set_index("window_date")["validation_auc"]},
            title="Production AUC against the validation AUC recorded at training"))
    sections.append("<h2>Schema conformance findings</h2>" + table(frames.get("conformance")))
    sections.append("<h2>KPI alerts</h2>" + table(frames.get("alerts")))
    sections.append("<h2>Promotion decisions</h2>" + table(frames.get("decisions")))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Vigie report</title>"
            "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}"
            "table.t{border-collapse:collapse;font-size:12px}"
            "table.t td,table.t th{padding:2px 6px;border-bottom:1px solid #ddd}</style>"
            f"</head><body><h1>Vigie report</h1><p>Generated {generated_at:%Y-%m-%d %H:%M} UTC "
            "from the marts schema.</p><h2>Drift</h2>" + "".join(sections) + "</body></html>")


def write_report(warehouse: Warehouse, path: str | Path) -> Path:
    """Read the marts and write the HTML report to `path` (nothing is written on an error)."""
    path = Path(path)
    frames = _read(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_report(frames,
                         generated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    path.write_text(page, encoding="utf-8")
    return path


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
