// How views print the engine's numbers: short on screen, exact in data attributes. Never computes one.

import { formatLocale } from "d3";

// The page prints one minus sign everywhere: ASCII "-", as Python's texts do and as a learner types it
// (d3's default is U+2212, which Number() cannot read back).
export const { format: numberFormat } = formatLocale({ decimal: ".", thousands: ",", grouping: [3], currency: ["", ""], minus: "-" });

const short = numberFormat(".4~g"); // 0.30000000000000004 -> "0.3", 6.08e-18 -> "6.084e-18"
const entry = numberFormat(".3~g");

/** A number for a node or a table cell: 4 significant digits; null (not finite) is "undefined". */
export function formatNumber(x) {
  return x === null || x === undefined ? "undefined" : short(x);
}

/** A matrix (nested lists) as one line per row, "[0.5, -0.3]"; a vector, or a column as "[…]ᵀ", is one line. */
export function formatRows(nested) {
  const row = (values) => `[${values.map((x) => (Array.isArray(x) ? "…" : x === null ? "undefined" : entry(x))).join(", ")}]`;
  if (!Array.isArray(nested[0])) return [row(nested)];
  if (nested.every((r) => r.length === 1)) return [`${row(nested.map((r) => r[0]))}ᵀ`];
  return nested.map(row);
}

/** A value as lines of text: one line for a number, one line per row for an array. */
export function formatLines(value) {
  return Array.isArray(value) ? formatRows(value) : [formatNumber(value)];
}

/** The exact text for a data attribute: String(number), JSON for arrays, "" where not defined. */
export function attributeText(value) {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}
