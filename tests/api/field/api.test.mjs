// Unit tests of the field app's calls (api/field/static/js/api.js), with fetch stubbed.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { logIn } from "../../../api/field/static/js/api.js";

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

function stub() {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, init, body: JSON.parse(init.body) });
    return new Response(JSON.stringify({ access_token: "t", expires_at: "2030-01-01T00:00:00Z" }), { status: 200 });
  };
  return calls;
}

test("an administrator's code goes to POST /v1/auth/token as totp", async () => {
  const calls = stub();
  await logIn("admin-1", "secret words", "123456");
  assert.equal(calls[0].path, "/v1/auth/token");
  assert.equal(calls[0].init.method, "POST");
  assert.deepEqual(calls[0].body, { username: "admin-1", password: "secret words", totp: "123456" });
});

test("an official without a code sends no totp", async () => {
  const calls = stub();
  await logIn("official-1", "secret words", "");
  assert.deepEqual(calls[0].body, { username: "official-1", password: "secret words" });
});
