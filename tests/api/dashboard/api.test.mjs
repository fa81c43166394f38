// Unit tests of the dashboard's calls and formats (api.js, i18n.js), with fetch stubbed.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { ApiError, csvFile, csvPath, fileName, logIn, province } from "../../../api/dashboard/static/js/api.js";
import { formatDay, formatNumber, formatShare, setLanguage, t } from "../../../api/dashboard/static/js/i18n.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  setLanguage("vi");
});

function stub(status, body, headers = {}) {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, init });
    return new Response(body, { status, headers });
  };
  return calls;
}

test("an administrator's code goes to POST /v1/auth/token as totp, an official's login has none", async () => {
  const calls = stub(200, JSON.stringify({ access_token: "t", expires_at: "2030-01-01T00:00:00Z" }));
  await logIn("admin-1", "secret words", "123456");
  await logIn("staff-1", "secret words", "");
  assert.deepEqual(JSON.parse(calls[0].init.body), { username: "admin-1", password: "secret words", totp: "123456" });
  assert.deepEqual(JSON.parse(calls[1].init.body), { username: "staff-1", password: "secret words" });
});

test("a province is asked for with the token and the days, never cached", async () => {
  const calls = stub(200, JSON.stringify({ code: "24" }));
  assert.deepEqual(await province("tok", "24", 30), { code: "24" });
  assert.equal(calls[0].path, "/v1/dashboard/provinces/24?days=30");
  assert.equal(calls[0].init.headers.Authorization, "Bearer tok");
  assert.equal(calls[0].init.cache, "no-store");
  assert.equal(calls[0].init.credentials, "omit");
});

test("a refusal becomes an ApiError with the problem's detail", async () => {
  stub(403, JSON.stringify({ title: "Forbidden", detail: "you do not follow province 01" }));
  await assert.rejects(province("tok", "01", 30), (error) => error instanceof ApiError && error.status === 403 && error.message === "you do not follow province 01");
});

test("the CSV files' paths carry the language (and the days)", () => {
  assert.equal(csvPath("provinces", { lang: "vi" }), "/v1/dashboard/provinces.csv?lang=vi");
  assert.equal(csvPath("communes", { code: "24", lang: "en" }), "/v1/dashboard/provinces/24/communes.csv?lang=en");
  assert.equal(csvPath("days", { code: "24", days: 90, lang: "vi" }), "/v1/dashboard/provinces/24/days.csv?lang=vi&days=90");
});

test("a CSV download keeps the file name the service gives", async () => {
  stub(200, "\ufeffNgày,Hộ đăng ký\r\n", { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="days-24-2026-12-02.csv"' });
  const { blob, name } = await csvFile("tok", "/v1/dashboard/provinces/24/days.csv?lang=vi");
  assert.equal(name, "days-24-2026-12-02.csv");
  // The byte order mark stays in the file saved (Excel needs it to read UTF-8).
  const bytes = new Uint8Array(await blob.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.equal(new TextDecoder().decode(bytes), "Ngày,Hộ đăng ký\r\n");
  assert.equal(fileName(null, "x.csv"), "x.csv");
});

test("numbers, shares and days as each language writes them", () => {
  assert.equal(formatNumber(12345, "vi"), "12.345");
  assert.equal(formatNumber(12345, "en"), "12,345");
  assert.equal(formatShare(0.725, "vi"), "72,5%");
  assert.equal(formatShare(0.725, "en"), "72.5%");
  assert.equal(formatShare(null), "–");
  assert.equal(formatDay("2026-12-02"), "02/12/2026");
  assert.equal(t("households"), "Hộ gia đình");
  setLanguage("en");
  assert.equal(t("households"), "Households");
  assert.equal(t("days", { n: 30 }), "30 days");
});
