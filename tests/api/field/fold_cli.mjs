// Folds each string of a JSON list read on standard input with the field app's fold, for
// tests/api/field/test_field_js.py to compare with geo.text.fold.
import { fold } from "../../../api/field/static/js/fold.js";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(fold)));
});
