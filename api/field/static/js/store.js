// The phone's copy: the session, the communes' households, the queue, cursors (IndexedDB).
// The password is never stored; logging out wipes every store.

const NAME = "field-app";
const VERSION = 1;
let opened = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("meta", { keyPath: "key" });
      db.createObjectStore("households", { keyPath: "id" }).createIndex("commune", "commune");
      db.createObjectStore("queue", { keyPath: "op_id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened;
}

async function run(store, mode, work) {
  const db = await open();
  const tx = db.transaction(store, mode);
  const result = work(tx.objectStore(store));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  return result instanceof IDBRequest ? result.result : result;
}

export async function getMeta(key) {
  const row = await run("meta", "readonly", (s) => s.get(key));
  return row?.value;
}

export function setMeta(key, value) {
  return run("meta", "readwrite", (s) => s.put({ key, value }));
}

export function deleteMeta(key) {
  return run("meta", "readwrite", (s) => s.delete(key));
}

/** Store households of the feed (latest state wins; tombstones stay, with their status). */
export function putHouseholds(households) {
  return run("households", "readwrite", (s) => {
    for (const household of households) {
      s.put({ id: household.id, commune: household.address?.address?.commune?.code, household });
    }
  });
}

export async function households(commune) {
  const rows = await run("households", "readonly", (s) => s.index("commune").getAll(commune));
  return rows.map((row) => row.household);
}

export async function household(id) {
  const row = await run("households", "readonly", (s) => s.get(id));
  return row?.household ?? null;
}

export async function countHouseholds(commune) {
  return run("households", "readonly", (s) => s.index("commune").count(commune));
}

export function queued() {
  return run("queue", "readonly", (s) => s.getAll());
}

export function putQueued(items) {
  return run("queue", "readwrite", (s) => {
    for (const item of items) s.put(item);
  });
}

export function removeQueued(opIds) {
  return run("queue", "readwrite", (s) => {
    for (const opId of opIds) s.delete(opId);
  });
}

/** Wipe everything: personal data, the queue, the session. */
export async function wipe() {
  for (const store of ["households", "queue", "meta"]) {
    await run(store, "readwrite", (s) => s.clear());
  }
}
