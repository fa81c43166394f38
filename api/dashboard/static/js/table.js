// The communes table: its columns, their values, and sorting (no DOM here).

/** The figures of a commune row, in the order of the table and the CSV file. */
export const COLUMNS = [
  "addresses",
  "households",
  "registered_7d",
  "gps_10m_share",
  "flagged",
  "plates_printed",
  "officials_active_7d",
];

/** The value a column sorts and shades by: a figure, or the commune's name for "name". */
export function value(row, column) {
  if (column === "name") return row.name;
  return row.counts[column];
}

const collator = new Intl.Collator("vi", { sensitivity: "base", numeric: true });

/**
 * A sorted copy of `rows` by `column`, ascending or descending. Names sort as Vietnamese
 * (collation, not code points); a missing share (no household) sorts after every number
 * either way; ties keep the commune code order.
 */
export function sortRows(rows, column, direction = "desc") {
  const sign = direction === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a, column);
    const y = value(b, column);
    if (x == null || y == null) {
      if (x == null && y == null) return a.code.localeCompare(b.code);
      return x == null ? 1 : -1;
    }
    const order = typeof x === "string" ? collator.compare(x, y) : x - y;
    return order !== 0 ? sign * order : a.code.localeCompare(b.code);
  });
}

/** The direction a click on `column` sorts in, given the current sort. */
export function nextSort(current, column) {
  if (current.column === column) return { column, direction: current.direction === "asc" ? "desc" : "asc" };
  return { column, direction: column === "name" ? "asc" : "desc" };
}
