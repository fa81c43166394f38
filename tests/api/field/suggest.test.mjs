// Unit tests of the address suggestions (api/field/static/js/suggest.js), run by `node --test`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { alleyParts, suggest, values } from "../../../api/field/static/js/suggest.js";

function at(address) {
  return { address: { address } };
}

const COMMUNE = [
  ...Array(3).fill(at({ street: "Nguyễn Trãi", hamlet: "Tổ dân phố Đông Thành" })),
  ...Array(5).fill(at({ street: "Hoàng Văn Thụ", alley: ["ngõ 34", "ngách 5"] })),
  at({ street: "hoang van thu", hamlet: "Thôn Đông" }),
  at({ street: "Lê Lợi", alley: ["ngõ 12"] }),
  at({ street: "  ", hamlet: null }),
  { pending: true, address: {} },
];

test("spellings that fold alike are one value, written as most addresses write it", () => {
  const streets = values(COMMUNE, "street");
  const hoang = streets.find((entry) => entry.key === "hoang van thu");
  assert.deepEqual(hoang, { key: "hoang van thu", count: 6, value: "Hoàng Văn Thụ" });
  assert.equal(streets.length, 3, "blank streets are no value");
});

test("with nothing typed, the most used come first", () => {
  assert.deepEqual(suggest(COMMUNE, "street"), ["Hoàng Văn Thụ", "Nguyễn Trãi", "Lê Lợi"]);
  assert.deepEqual(suggest(COMMUNE, "street", "", 2), ["Hoàng Văn Thụ", "Nguyễn Trãi"]);
});

test("what is typed matches folded, as a prefix or inside the value", () => {
  assert.deepEqual(suggest(COMMUNE, "street", "ng"), ["Hoàng Văn Thụ", "Nguyễn Trãi"]);
  assert.deepEqual(suggest(COMMUNE, "street", "NGUYEN"), ["Nguyễn Trãi"]);
  assert.deepEqual(suggest(COMMUNE, "street", "loi"), ["Lê Lợi"]);
  assert.deepEqual(suggest(COMMUNE, "hamlet", "dong"), ["Tổ dân phố Đông Thành", "Thôn Đông"]);
  assert.deepEqual(suggest(COMMUNE, "street", "xyz"), []);
});

test("among equally used values, those the query starts come first", () => {
  const two = [at({ street: "Bà Triệu" }), at({ street: "Triệu Việt Vương" })];
  assert.deepEqual(suggest(two, "street", "trieu"), ["Triệu Việt Vương", "Bà Triệu"]);
});

test("a value typed in full is not suggested again", () => {
  assert.deepEqual(suggest(COMMUNE, "street", "Lê Lợi"), []);
  assert.deepEqual(suggest(COMMUNE, "street", "le loi"), []);
});

test("alleys are suggested as their whole path, and split back into its parts", () => {
  assert.deepEqual(suggest(COMMUNE, "alley", "ngo"), ["ngõ 34, ngách 5", "ngõ 12"]);
  assert.deepEqual(alleyParts(" ngõ 34 , ngách 5,, "), ["ngõ 34", "ngách 5"]);
  assert.deepEqual(alleyParts(""), []);
});
