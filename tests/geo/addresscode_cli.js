// Runs api/static/addresscode.js over a batch for tests/geo/test_code_js.py.
// stdin: {"parse": [text, ...], "checkSymbol": [symbols11, ...]}; stdout: the same keys with
// the results, in order.
"use strict";
const path = require("path");
const AddressCode = require(path.join(__dirname, "..", "..", "api", "static", "addresscode.js"));

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const batch = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const result = {
    parse: (batch.parse || []).map((text) => AddressCode.parse(text)),
    checkSymbol: (batch.checkSymbol || []).map((s11) => AddressCode.checkSymbol(s11)),
  };
  process.stdout.write(JSON.stringify(result));
});
