/**
 * The simulator's side of the HTTP API: log in, and create (or take over) the simulated devices with their
 * access tokens. Uses only the public API, as any client would.
 */

export type SimulatorAuth = { token: string } | { username: string; password: string };

export interface SimulatedDevice {
  id: string;
  token: string;
  /** false when it existed already and its token was rotated to connect. */
  created: boolean;
}

export class FleetApiError extends Error {}

async function call(baseUrl: string, path: string, token: string | null, body?: unknown) {
  const res = await fetch(new URL(path, baseUrl), {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // not JSON: reported through the status below
  }
  return { status: res.status, json, detail: typeof json.detail === 'string' ? json.detail : text.slice(0, 200) };
}

/** A bearer token for the API: the one given, or one obtained by logging in. */
export async function bearerToken(baseUrl: string, auth: SimulatorAuth): Promise<string> {
  if ('token' in auth) return auth.token;
  const r = await call(baseUrl, '/api/v1/auth/login', null, { username: auth.username, password: auth.password });
  if (r.status !== 200 || typeof r.json.access_token !== 'string')
    throw new FleetApiError(`login as '${auth.username}' failed (${r.status}): ${r.detail}`);
  return r.json.access_token;
}

/** `sim-001` … — zero-padded so the ids sort in order. */
export function simulatedIds(prefix: string, count: number): string[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
}

/**
 * Creates the devices, or reuses those that exist (their token is rotated: the API never shows a token twice).
 * A few requests at a time, so a thousand devices do not open a thousand sockets at once.
 */
export async function ensureDevices(baseUrl: string, token: string, ids: string[]): Promise<SimulatedDevice[]> {
  const out: SimulatedDevice[] = new Array(ids.length);
  const parallel = 8;
  for (let start = 0; start < ids.length; start += parallel) {
    await Promise.all(
      ids.slice(start, start + parallel).map(async (id, k) => {
        out[start + k] = await ensureDevice(baseUrl, token, id);
      }),
    );
  }
  return out;
}

async function ensureDevice(baseUrl: string, token: string, id: string): Promise<SimulatedDevice> {
  const created = await call(baseUrl, '/api/v1/devices', token, {
    id,
    name: `Simulated ${id}`,
    device_type: 'simulator',
    metadata: { simulated: true },
  });
  const credentials = created.json.credentials as { access_token?: unknown } | undefined;
  if (created.status === 201 && typeof credentials?.access_token === 'string')
    return { id, token: credentials.access_token, created: true };
  if (created.status !== 409)
    throw new FleetApiError(`creating device ${id} failed (${created.status}): ${created.detail}`);
  const rotated = await call(baseUrl, `/api/v1/devices/${encodeURIComponent(id)}/credentials`, token, {});
  if (rotated.status !== 200 || typeof rotated.json.access_token !== 'string')
    throw new FleetApiError(
      `device ${id} exists and its token could not be rotated (${rotated.status}): ${rotated.detail}`,
    );
  return { id, token: rotated.json.access_token, created: false };
}
