// Street, hamlet and alley suggestions from the commune's own addresses (those on the phone).
// Pure functions: the register screen draws them, tests run them alone.

import { fold } from "./fold.js";

/** The fields suggested, and how each is read from a stored address. */
const READ = {
  street: (a) => a.street,
  hamlet: (a) => a.hamlet,
  alley: (a) => (a.alley ?? []).join(", "),
};

/**
 * The values of `field` among `households`, one per folded spelling (its most used written
 * form), with how many addresses use it: "Lê Lợi" x 5 and "le loi" x 1 are one "Lê Lợi" x 6.
 */
export function values(households, field) {
  const read = READ[field];
  const byKey = new Map();
  for (const household of households) {
    const written = read(household.address?.address ?? {})?.trim();
    const key = written ? fold(written) : "";
    if (!key) continue;
    const entry = byKey.get(key) ?? { key, count: 0, spellings: new Map() };
    entry.count += 1;
    entry.spellings.set(written, (entry.spellings.get(written) ?? 0) + 1);
    byKey.set(key, entry);
  }
  return [...byKey.values()].map(({ key, count, spellings }) => ({ key, count, value: mostUsed(spellings) }));
}

/**
 * Up to `limit` suggestions of `field` for what the official typed (`query`): values whose
 * folded form starts with, or contains, the folded query; the most used first, then those the
 * query starts, then alphabetically. A value already typed in full is not suggested again.
 */
export function suggest(households, field, query = "", limit = 4) {
  const typed = fold(query);
  return values(households, field)
    .filter((entry) => entry.key !== typed && entry.key.includes(typed))
    .sort((a, b) => b.count - a.count || starts(b, typed) - starts(a, typed) || a.key.localeCompare(b.key))
    .slice(0, limit)
    .map((entry) => entry.value);
}

/** The alley path as the service takes it: "ngõ 34, ngách 5" -> ["ngõ 34", "ngách 5"]. */
export function alleyParts(text) {
  return String(text ?? "").split(",").map((part) => part.trim()).filter(Boolean);
}

function starts(entry, typed) {
  return entry.key.startsWith(typed) ? 1 : 0;
}

function mostUsed(spellings) {
  return [...spellings].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
}
