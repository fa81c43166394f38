// Checks made on the phone before anything is queued (the service checks again).

// Province prefixes of a citizen ID: the 63 province codes in force when the 12-digit IDs
// were introduced (Circular 07/2016/TT-BCA); they do not change with the 2025 mergers.
const PROVINCE_PREFIXES = new Set(
  ("001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 " +
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 " +
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096").split(" "),
);

/** Whether `text` is a citizen ID: 12 digits starting with a province prefix. */
export function validCitizenId(text) {
  return /^\d{12}$/.test(text) && PROVINCE_PREFIXES.has(text.slice(0, 3));
}
