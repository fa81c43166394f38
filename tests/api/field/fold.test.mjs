// Unit tests of the field app's search folding (api/field/static/js/fold.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { fold, matches } from "../../../api/field/static/js/fold.js";

test("diacritics fold like the service: đ first, then marks", () => {
  assert.equal(fold("Đường Lâm - Sơn Tây"), "duong lam son tay");
  assert.equal(fold("Cẩm Giàng"), "cam giang");
  assert.equal(fold("Ea H'Leo"), "ea hleo");
  assert.equal(fold("  Tổ dân phố   Đông Thành "), "to dan pho dong thanh");
  assert.equal(fold("Ngõ 34/5"), "ngo 34 5");
});

test("precomposed and decomposed input fold alike", () => {
  assert.equal(fold("Nguyễn".normalize("NFD")), fold("Nguyễn".normalize("NFC")));
});

test("a search matches word prefixes in any order, without accents", () => {
  const key = fold("Trần Văn Minh 27 Lê Lợi");
  assert.ok(matches(key, "tran minh"));
  assert.ok(matches(key, "Lợi 27"));
  assert.ok(matches(key, "le lo"));
  assert.ok(!matches(key, "nguyen"));
});
