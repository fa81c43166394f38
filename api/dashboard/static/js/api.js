// Calls to the registry's API (/v1) with the bearer token; CSV files as downloads.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function fetched(path, { method = "GET", token, body, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  if (!response.ok) {
    const text = await response.text();
    let problem = null;
    try {
      problem = text ? JSON.parse(text) : null;
    } catch {
      problem = null;
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

export async function call(path, options = {}) {
  const response = await fetched(path, options);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** POST /v1/auth/token: administrators add the code of their authenticator app. */
export function logIn(username, password, totp) {
  const body = { username, password };
  if (totp) body.totp = totp;
  return call("/v1/auth/token", { method: "POST", body });
}

export function revoke(token) {
  return call("/v1/auth/revoke", { method: "POST", token });
}

export function provinces(token) {
  return call("/v1/dashboard/provinces", { token });
}

export function province(token, code, days) {
  return call(`/v1/dashboard/provinces/${encodeURIComponent(code)}?days=${days}`, { token });
}

export function map(token, code) {
  return call(`/v1/dashboard/provinces/${encodeURIComponent(code)}/map`, { token });
}

/** The path of a CSV file: "provinces", or a province's "communes" or "days". */
export function csvPath(kind, { code, days, lang }) {
  const query = new URLSearchParams({ lang });
  if (kind === "provinces") return `/v1/dashboard/provinces.csv?${query}`;
  if (kind === "days") query.set("days", String(days));
  return `/v1/dashboard/provinces/${encodeURIComponent(code)}/${kind}.csv?${query}`;
}

/** The file name a Content-Disposition header gives, or `fallback`. */
export function fileName(disposition, fallback) {
  const match = /filename="([^"]+)"/.exec(disposition || "");
  return match ? match[1] : fallback;
}

/** A CSV file of the API as {blob, name}, fetched with the token (a plain link has none). */
export async function csvFile(token, path) {
  const response = await fetched(path, { token, accept: "text/csv" });
  const name = fileName(response.headers.get("Content-Disposition"), "dashboard.csv");
  return { blob: await response.blob(), name };
}
