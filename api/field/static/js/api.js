// Calls to the registry's public API (/v1), with the official's token and the phone's id.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function call(path, { method = "GET", token, device, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (device) headers["X-Device-Id"] = device;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function logIn(username, password, totp) {
  const body = { username, password };
  if (totp) body.totp = totp;
  return call("/v1/auth/token", { method: "POST", body });
}

/** Who the token belongs to and the communes assigned to them. */
export function me(token) {
  return call("/v1/auth/me", { token });
}

export function revoke(token) {
  return call("/v1/auth/revoke", { method: "POST", token });
}

export function commune(code) {
  return call(`/v1/admin-units/${encodeURIComponent(code)}`);
}

export function feed(token, device, code, since) {
  const query = new URLSearchParams({ commune: code, limit: "500" });
  if (since) query.set("since", since);
  return call(`/v1/households?${query}`, { token, device });
}

export function sync(token, device, operations) {
  return call("/v1/sync", { method: "POST", token, device, body: { operations } });
}

export function household(token, device, id) {
  return call(`/v1/households/${encodeURIComponent(id)}`, { token, device });
}

export function history(token, device, id) {
  return call(`/v1/households/${encodeURIComponent(id)}/history?limit=100`, { token, device });
}

/** The path of one of an address's links on this origin (links are under PUBLIC_BASE_URL). */
export function local(link) {
  return link ? new URL(link, location.origin).pathname : null;
}
