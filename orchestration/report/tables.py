"""HTML tables that hold every row and sort (click a header) and filter (type in the box) in
the browser, with the small script that does it (no library, nothing fetched)."""

from __future__ import annotations

import html
import itertools
import math
from decimal import Decimal

import pandas as pd

_ids = itertools.count(1)

TABLE_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var box = document.querySelector('input[data-filter="' + table.id + '"]');
  var count = document.querySelector('[data-count="' + table.id + '"]');
  function key(row, i, numeric) {
    var cell = row.cells[i];
    var raw = cell.getAttribute('data-value');
    if (raw === null || raw === '') { return null; }
    return numeric ? parseFloat(raw) : raw.toLowerCase();
  }
  function shown() {
    var n = rows.filter(function (r) { return !r.hidden; }).length;
    count.textContent = n + ' of ' + rows.length + ' rows';
  }
  table.querySelectorAll('th').forEach(function (th, i) {
    th.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var numeric = th.getAttribute('data-type') === 'number';
      rows.sort(function (a, b) {
        var x = key(a, i, numeric), y = key(b, i, numeric);
        if (x === y) { return 0; }
        if (x === null) { return 1; }  // empty cells last, whichever the direction
        if (y === null) { return -1; }
        return (x < y ? -1 : 1) * (ascending ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  box.addEventListener('input', function () {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    rows.forEach(function (r) {
      var text = r.textContent.toLowerCase();
      r.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
    shown();
  });
  shown();
});
"""


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_text(value) -> str:
    """How a value reads in a table: numbers to four significant digits, yes/no, — for none."""
    if _is_missing(value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | Decimal):  # PostgreSQL's numeric arrives as Decimal
        return f"{float(value):.4g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() \
            else value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _sort_key(value) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def sortable_table(frame: pd.DataFrame | None, *, caption: str,
                   empty: str = "Nothing to show.") -> str:
    """Every row of `frame` as a table that sorts and filters; a sentence when it is empty."""
    if frame is None or frame.empty:
        return f'<p class="empty"><em>{html.escape(caption)}: {html.escape(empty)}</em></p>'
    table_id = f"table-{next(_ids)}"
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    head = "".join(
        f'<th data-type="{"number" if c in numeric else "text"}" title="sort">'
        f"{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td data-value="{html.escape(_sort_key(v))}">'
                         f"{html.escape(cell_text(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None))
    return (f'<div class="table-block"><div class="table-tools"><strong>'
            f"{html.escape(caption)}</strong> <input type=\"search\" "
            f'data-filter="{table_id}" placeholder="filter rows" aria-label="filter '
            f'{html.escape(caption)}"> <span class="count" data-count="{table_id}"></span>'
            f'</div><div class="table-scroll"><table id="{table_id}" class="sortable">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></div>")
