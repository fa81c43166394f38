// Vietnamese search keys, exactly as the service makes them (geo/text.py `fold`):
// "Đường Lâm - Sơn Tây" -> "duong lam son tay". tests/api/field checks both agree.

// Letters NFD does not decompose: đ is a letter of its own; Ð/ð (eth) often stands in for it.
const D_LETTERS = { "đ": "d", "Đ": "D", "ð": "d", "Ð": "D" };
// Apostrophes inside names are dropped, not spaced: "Ea H'Leo" -> "ea hleo".
const APOSTROPHES = new Set(["'", "\u2019", "\u02bc", "\u2018", "`"]);
// Where Python's str.casefold() differs from toLowerCase() for letters NFKD leaves alone.
const CASEFOLD = { "ß": "ss", "ẞ": "ss", "ς": "σ", "ͅ": "ι" };
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

function casefold(text) {
  return Array.from(text.toLowerCase(), (char) => CASEFOLD[char] ?? char).join("");
}

/** The diacritics-free search key of `text`: lower case letters, digits and single spaces. */
export function fold(text) {
  const lowered = casefold(String(text).normalize("NFKD")).replace(/[đĐðÐ]/g, (c) => D_LETTERS[c]);
  const bare = lowered.normalize("NFKD").replace(/\p{Mn}/gu, "");
  const spaced = Array.from(bare, (char) =>
    APOSTROPHES.has(char) ? "" : WORD_CHAR.test(char) ? char : " ",
  ).join("");
  return spaced.split(" ").filter(Boolean).join(" ");
}

/** Whether every word of the folded `query` starts a word of the folded `key` (in order not needed). */
export function matches(key, query) {
  const words = fold(query).split(" ").filter(Boolean);
  const keyWords = key.split(" ");
  return words.every((word) => keyWords.some((candidate) => candidate.startsWith(word)));
}
