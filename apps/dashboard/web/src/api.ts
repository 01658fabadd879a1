/** An API error answer: `{error: {code, message}}` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Me {
  username: string;
  role: 'viewer' | 'engineer' | 'admin';
  csrfToken: string;
}

let csrfToken = '';
let onUnauthenticated: () => void = () => undefined;

export function setSession(me: Me | undefined, whenSignedOut?: () => void): void {
  csrfToken = me?.csrfToken ?? '';
  if (whenSignedOut) onUnauthenticated = whenSignedOut;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) {
    const err = new ApiError(res.status, data.error?.code ?? 'HTTP', data.error?.message ?? `HTTP ${res.status}`);
    if (res.status === 401 && path !== '/api/login' && path !== '/api/session') onUnauthenticated();
    throw err;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
};
