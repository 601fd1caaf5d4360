import { ApiError, problemFrom } from './problem.js';

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** The bearer to send; null before login. */
  token: () => string | null;
  /** Called when the server no longer accepts the token (expired, revoked, user removed). */
  onUnauthorized: (err: ApiError) => void;
  /** Base of the API; the UI is served by the server it talks to, so the same origin by default. */
  base?: string;
}

/** `?a=1&b=x`, leaving out empty values: filters the user did not set are not sent. */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** fetch for Fieldline's HTTP API: JSON in and out, bearer auth, problem+json errors as ApiError. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }
  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const res = await this.send(method, path, options, 'application/json');
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A POST whose answer is a file (the stack bundle): the bytes and the name the server gave it. */
  async download(path: string, body: unknown): Promise<{ blob: Blob; filename: string }> {
    const res = await this.send('POST', path, { body }, '*/*');
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'download';
    return { blob: await res.blob(), filename };
  }

  private async send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    const token = this.options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.options.base ?? ''}/api/v1${path}${queryString(options.query)}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, 'NETWORK', 'Cannot reach the Fieldline server. Is it running?');
    }
    if (res.ok) return res;
    const error = problemFrom(res.status, res.statusText, await res.text());
    // A 401 with a token means the session is over; a 401 without one is a failed login, shown where it happened.
    if (res.status === 401 && token) this.options.onUnauthorized(error);
    throw error;
  }
}
