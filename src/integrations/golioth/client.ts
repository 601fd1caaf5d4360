import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import type { SsrfGuard } from '../../notify/index.js';
import { VERSION } from '../../version.js';

export const GOLIOTH_API_URL = 'https://api.golioth.io';
const TIMEOUT_MS = 15_000;
/** RPC calls wait for the device's answer; Golioth's own RPC timeout is given in the body. */
const RPC_EXTRA_MS = 5_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A failure of the Golioth REST API: its HTTP status and the `rpcStatus` message it answered with. */
export class GoliothApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly goliothCode: number | null,
  ) {
    super(message);
    this.name = 'GoliothApiError';
  }
}

export interface GoliothRelease {
  id: string;
  artifactIds?: string[];
  deviceTagIds?: string[];
  releaseTags?: string[];
  rollout?: boolean;
  createdAt?: string;
  [key: string]: unknown;
}

export interface GoliothDevice {
  id: string;
  name?: string;
  tagIds?: string[];
  cohortId?: string;
  [key: string]: unknown;
}

/** The outbound HTTP the Golioth clients share: the SSRF guard's DNS, TLS verified, one timeout per call. */
export class GoliothHttp {
  readonly agent: Agent;

  constructor(readonly guard: SsrfGuard) {
    this.agent = new Agent({
      connect: { lookup: guard.lookup as unknown as LookupFunction, timeout: TIMEOUT_MS, rejectUnauthorized: true },
      headersTimeout: TIMEOUT_MS + 60_000,
      bodyTimeout: TIMEOUT_MS + 60_000,
      keepAliveTimeout: 4_000,
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * A client of Golioth's Management REST API (https://docs.golioth.io/reference/management-api/, OpenAPI at
 * https://api.golioth.io/openapi.json), authenticated with a project API key in `x-api-key`. Only what
 * Fieldline uses: devices, LightDB State, RPC, releases. Answers are `{data: …}` or `{list: […]}`; failures
 * are `rpcStatus` documents `{code, message}`.
 */
export class GoliothClient {
  private readonly base: string;

  constructor(
    private readonly http: GoliothHttp,
    apiUrl: string,
    readonly projectId: string,
    private readonly apiKey: string,
  ) {
    this.base = `${apiUrl.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(projectId)}`;
  }

  /** Checks the key and the project: one page of one device (`GET /v1/projects/{projectId}/devices`). */
  async check(): Promise<{ total: number | null }> {
    const body = (await this.call('GET', '/devices?perPage=1&page=0')) as { total?: number } | null;
    return { total: typeof body?.total === 'number' ? body.total : null };
  }

  async getDevice(deviceId: string): Promise<GoliothDevice> {
    return this.data<GoliothDevice>(await this.call('GET', `/devices/${enc(deviceId)}`));
  }

  async addDeviceTag(deviceId: string, tagId: string): Promise<GoliothDevice> {
    return this.data<GoliothDevice>(await this.call('PATCH', `/devices/${enc(deviceId)}`, { addTagId: [tagId] }));
  }

  /** LightDB State at a path (`GET …/devices/{deviceId}/data/{path}`); the whole state for an empty path. */
  async getState(deviceId: string, path: string): Promise<unknown> {
    const body = (await this.call('GET', `/devices/${enc(deviceId)}/data${statePath(path)}`)) as { data?: unknown };
    return body?.data ?? null;
  }

  /** Writes LightDB State: PUT replaces the value at the path, POST merges into it (as Golioth documents). */
  async setState(deviceId: string, path: string, value: unknown, merge: boolean): Promise<unknown> {
    const body = (await this.call(
      merge ? 'POST' : 'PUT',
      `/devices/${enc(deviceId)}/data${statePath(path)}`,
      value,
    )) as {
      data?: unknown;
    };
    return body?.data ?? null;
  }

  async deleteState(deviceId: string, path: string): Promise<void> {
    await this.call('DELETE', `/devices/${enc(deviceId)}/data${statePath(path)}`);
  }

  /**
   * A remote procedure call on the device (`POST …/devices/{deviceId}/rpc {method, params, timeout}`); Golioth
   * answers with the device's `{statusCode, detail}` once the device replied, or fails when it did not.
   */
  async rpc(
    deviceId: string,
    method: string,
    params: unknown[],
    timeoutS: number,
  ): Promise<{ statusCode: number; detail: unknown }> {
    const body = (await this.call(
      'POST',
      `/devices/${enc(deviceId)}/rpc`,
      { method, params, timeout: timeoutS },
      timeoutS * 1000 + RPC_EXTRA_MS,
    )) as { statusCode?: number | string; detail?: unknown } | null;
    return { statusCode: Number(body?.statusCode ?? 0), detail: body?.detail ?? null };
  }

  async listReleases(query: { deviceTags?: string[]; rollout?: boolean; perPage?: number }): Promise<GoliothRelease[]> {
    const q = new URLSearchParams();
    for (const t of query.deviceTags ?? []) q.append('deviceTags', t);
    if (query.rollout !== undefined) q.set('rollout', String(query.rollout));
    q.set('perPage', String(query.perPage ?? 100));
    const body = (await this.call('GET', `/releases?${q}`)) as { list?: GoliothRelease[] } | null;
    return body?.list ?? [];
  }

  async getRelease(releaseId: string): Promise<GoliothRelease> {
    return this.data<GoliothRelease>(await this.call('GET', `/releases/${enc(releaseId)}`));
  }

  async setRollout(releaseId: string, rollout: boolean): Promise<GoliothRelease> {
    return this.data<GoliothRelease>(await this.call('PATCH', `/releases/${enc(releaseId)}`, { rollout }));
  }

  private data<T>(body: unknown): T {
    const data = (body as { data?: T } | null)?.data;
    if (data === undefined || data === null) throw new GoliothApiError('Golioth answered without data', null, null);
    return data;
  }

  private async call(method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<unknown> {
    const url = this.http.guard.checkUrl(`${this.base}${path}`);
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: method as 'GET',
        headers: {
          'x-api-key': this.apiKey,
          accept: 'application/json',
          'user-agent': `Fieldline/${VERSION} (+golioth)`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        dispatcher: this.http.agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new GoliothApiError(`Golioth did not answer within ${Math.round(timeoutMs / 1000)} s`, null, null);
      throw new GoliothApiError(
        `cannot reach Golioth at ${url.origin}: ${e.code ?? e.message ?? String(err)}`,
        null,
        null,
      );
    }
    const text = await readLimited(res.body);
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return parsed;
    const status = parsed as { code?: number; message?: string } | null;
    const detail = status?.message ?? text.replace(/\s+/g, ' ').trim().slice(0, 200);
    const what =
      res.statusCode === 401 || res.statusCode === 403
        ? 'Golioth refused the API key'
        : res.statusCode === 404
          ? 'Golioth has no such resource'
          : `Golioth answered HTTP ${res.statusCode}`;
    throw new GoliothApiError(`${what}${detail ? `: ${detail}` : ''}`, res.statusCode, status?.code ?? null);
  }
}

const enc = encodeURIComponent;
/** A LightDB path as URL segments: `/settings/led` → `/settings/led` (each segment encoded); `` for the root. */
const statePath = (path: string) =>
  path
    .split('/')
    .filter(Boolean)
    .map((s) => `/${encodeURIComponent(s)}`)
    .join('');

async function readLimited(body: AsyncIterable<Buffer | string> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy?.();
      throw new GoliothApiError(`Golioth answered more than ${MAX_BODY_BYTES / 1048576} MB`, null, null);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
