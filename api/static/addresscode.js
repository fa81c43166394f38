/**
 * Offline validator for digital address codes (see DESIGN.md, "The digital address code").
 *
 * Mirrors geo/code.py: the same accepted input forms, the same error reasons ("format",
 * "check") and messages, the Damm check symbol and the decoding of the 10-digit Plus Code cell.
 * No dependencies. In a browser it defines the global `AddressCode`; in Node it is exported.
 *
 *   AddressCode.parse("7ph8 75fv 6r 2w")
 *   // {ok: true, canonical: "7PH875FV6R2W", display: "7PH875FV+6R-2W", unit: null,
 *   //  bounds: {south, west, north, east}, center: {lat, lon}}
 *   AddressCode.parse("7PH875FV+6R-2X")  // {ok: false, reason: "check", message: "..."}
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module && module.exports) {
    module.exports = api;
  } else {
    root.AddressCode = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var ALPHABET = "23456789CFGHJMPQRVWX";
  // Damm table, rows and columns in ALPHABET order; copied from DESIGN.md like geo/code.py.
  var T = [
    "23456789CFGHJMPQRVWX",
    "456239CF78JMPGHVWXQR",
    "62345F789CPGHJMXQRVW",
    "3456289CF7HJMPGRVWXQ",
    "56234CF789MPGHJWXQRV",
    "GHJMPQRVWX23456789CF",
    "JMPGHVWXQR456239CF78",
    "PGHJMXQRVW62345F789C",
    "HJMPGRVWXQ3456289CF7",
    "MPGHJWXQRV56234CF789",
    "QRVWXGHJMP789CF23456",
    "VWXQRJMPGH9CF7845623",
    "XQRVWPGHJMF789C62345",
    "RVWXQHJMPG89CF734562",
    "WXQRVMPGHJCF78956234",
    "789CF23456QRVWXGHJMP",
    "9CF7845623VWXQRJMPGH",
    "F789C62345XQRVWPGHJM",
    "89CF734562RVWXQHJMPG",
    "CF78956234WXQRVMPGHJ",
  ];
  var CODE_LENGTH = 12;
  var LOCAL_LENGTH = 8;
  var UNIT_MAX_LENGTH = 10;
  var SPACES = " \t\r\n\f\v\u00a0";
  var IGNORED = SPACES + "-";
  var NEVER_USED = "O0I1LAEU";
  var UNIT_RE = /^[A-Z0-9]+(?:[-.][A-Z0-9]+)?$/;
  var SYMBOLS_HELP = "symbols are 2-9 and C F G H J M P Q R V W X";

  function CodeError(message, reason) {
    this.message = message;
    this.reason = reason || "format";
  }

  function asciiUpper(text) {
    return text.replace(/[a-z]/g, function (c) {
      return c.toUpperCase();
    });
  }

  function interim(symbols) {
    var row = 0;
    for (var i = 0; i < symbols.length; i++) {
      row = ALPHABET.indexOf(T[row].charAt(ALPHABET.indexOf(symbols.charAt(i))));
    }
    return row;
  }

  function isSymbols(text, length) {
    if (typeof text !== "string" || text.length !== length) return false;
    for (var i = 0; i < text.length; i++) {
      if (ALPHABET.indexOf(text.charAt(i)) < 0) return false;
    }
    return true;
  }

  /** The Damm check symbol for the first 11 symbols of a code (throws on bad input). */
  function checkSymbol(symbols11) {
    if (!isSymbols(symbols11, CODE_LENGTH - 1)) {
      throw new Error("expected " + (CODE_LENGTH - 1) + " code symbols");
    }
    return ALPHABET.charAt(T[interim(symbols11)].indexOf("2"));
  }

  /** Whether 12 canonical symbols pass the Damm check. */
  function dammValid(symbols12) {
    return isSymbols(symbols12, CODE_LENGTH) && interim(symbols12) === 0;
  }

  function badSymbolMessage(ch, position) {
    if (NEVER_USED.indexOf(asciiUpper(ch)) >= 0) {
      return (
        "'" + ch + "' at position " + position + " is never used in codes: O, 0, I, 1, L " +
        "and vowels are left out so that they cannot be confused; " + SYMBOLS_HELP
      );
    }
    return "'" + ch + "' at position " + position + " is not a code symbol; " + SYMBOLS_HELP;
  }

  function checkLength(count, length) {
    if (count === 0) throw new CodeError("no code given");
    if (count === length) return;
    var message = "a code has " + length + " symbols, this has " + count;
    if (length === CODE_LENGTH && count === LOCAL_LENGTH) {
      message += " (a local code like 75FV+6R-2W needs its commune)";
    }
    throw new CodeError(message);
  }

  function collectSymbols(text, length, plusAfter) {
    var symbols = "";
    var count = 0;
    var plusAt = -1;
    // for...of walks code points, as Python iterates a str.
    for (var ch of text) {
      if (IGNORED.indexOf(ch) >= 0) continue;
      if (ch === "+") {
        if (plusAt >= 0) throw new CodeError("a code has at most one '+'");
        plusAt = count;
        continue;
      }
      var symbol = asciiUpper(ch);
      if (ALPHABET.indexOf(symbol) < 0) throw new CodeError(badSymbolMessage(ch, count + 1));
      symbols += symbol;
      count++;
    }
    checkLength(count, length);
    if (plusAt >= 0 && plusAt !== plusAfter) {
      throw new CodeError("'+' belongs after symbol " + plusAfter);
    }
    return symbols;
  }

  function plusCodeMessage(symbols) {
    // 20 degrees per step: latitude -90 + 9 * 20 reaches 90, longitude -180 + 18 * 20 reaches 180.
    if (ALPHABET.indexOf(symbols.charAt(0)) >= 9) {
      return "symbol 1 must be one of 2-9 or C: it encodes the latitude";
    }
    if (ALPHABET.indexOf(symbols.charAt(1)) >= 18) {
      return "symbol 2 must be one of 2-9 or C F G H J M P Q R V: it encodes the longitude";
    }
    return null;
  }

  function validateSymbols(symbols) {
    var message = plusCodeMessage(symbols);
    if (message) throw new CodeError(message);
    if (!dammValid(symbols)) {
      throw new CodeError(
        "the code fails its check: a symbol is probably mistyped or two are swapped",
        "check"
      );
    }
  }

  function stripSpaces(text) {
    var chars = Array.from(text);
    var start = 0;
    var end = chars.length;
    while (start < end && SPACES.indexOf(chars[start]) >= 0) start++;
    while (end > start && SPACES.indexOf(chars[end - 1]) >= 0) end--;
    return chars.slice(start, end).join("");
  }

  function normaliseUnit(text) {
    var unit = asciiUpper(stripSpaces(text));
    if (!unit) throw new CodeError("the unit label after '/' is empty");
    if (Array.from(unit).length > UNIT_MAX_LENGTH) {
      throw new CodeError("a unit label has at most " + UNIT_MAX_LENGTH + " characters");
    }
    if (!UNIT_RE.test(unit)) {
      throw new CodeError(
        "unit label '" + unit + "' is not valid: use letters A-Z and digits, optionally " +
          "split once by '-' or '.', e.g. 1205 or B-12"
      );
    }
    return unit;
  }

  /** The bounds of a 10-symbol Plus Code cell (integer arithmetic in 1/8000 degree). */
  function decodeCell(cell) {
    var lat = 0;
    var lon = 0;
    for (var i = 0; i < 10; i += 2) {
      lat = lat * 20 + ALPHABET.indexOf(cell.charAt(i));
      lon = lon * 20 + ALPHABET.indexOf(cell.charAt(i + 1));
    }
    return {
      south: (lat - 90 * 8000) / 8000,
      west: (lon - 180 * 8000) / 8000,
      north: (lat + 1 - 90 * 8000) / 8000,
      east: (lon + 1 - 180 * 8000) / 8000,
    };
  }

  /** Parse a code in any accepted form; returns {ok: true, ...} or {ok: false, reason, message}. */
  function parse(text) {
    try {
      if (typeof text !== "string") throw new CodeError("no code given");
      var slash = text.indexOf("/");
      var codeText = slash < 0 ? text : text.slice(0, slash);
      var symbols = collectSymbols(codeText, CODE_LENGTH, 8);
      validateSymbols(symbols);
      var unit = slash < 0 ? null : normaliseUnit(text.slice(slash + 1));
      var suffix = unit === null ? "" : "/" + unit;
      var bounds = decodeCell(symbols.slice(0, 10));
      return {
        ok: true,
        canonical: symbols + suffix,
        display: symbols.slice(0, 8) + "+" + symbols.slice(8, 10) + "-" + symbols.slice(10) + suffix,
        unit: unit,
        bounds: bounds,
        center: { lat: (bounds.south + bounds.north) / 2, lon: (bounds.west + bounds.east) / 2 },
      };
    } catch (error) {
      if (error instanceof CodeError) {
        return { ok: false, reason: error.reason, message: error.message };
      }
      throw error;
    }
  }

  return {
    ALPHABET: ALPHABET,
    parse: parse,
    checkSymbol: checkSymbol,
    dammValid: dammValid,
  };
});
