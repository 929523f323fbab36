/**
 * The one way the front end talks to the server: JSON over Jupyter's own
 * ServerConnection (its XSRF header and token), and server-sent events for the
 * change streams. Errors carry the server's message, which names the field.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

const settings = ServerConnection.makeSettings();

/** An answer that was not 2xx: ``message`` is the server's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string
  ) {
    super(message);
  }
}

export function url(path: string, query?: Record<string, string>): string {
  const u = URLExt.join(settings.baseUrl, path);
  if (!query) {
    return u;
  }
  return u + URLExt.objectToQueryString(query);
}

export async function request<T>(
  path: string,
  init: RequestInit = {},
  query?: Record<string, string>
): Promise<T> {
  if (init.body !== undefined && !(init.body instanceof FormData)) {
    init.headers = { 'Content-Type': 'application/json', ...(init.headers ?? {}) };
  }
  const response = await ServerConnection.makeRequest(url(path, query), init, settings);
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    const message =
      (data && (data.message || data.reason || data.error)) || response.statusText;
    throw new ApiError(response.status, String(message), data?.field);
  }
  return data as T;
}

export function post<T>(path: string, body?: unknown): Promise<T> {
  return request<T>(path, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body)
  });
}

/**
 * Follow a change stream (``text/event-stream``). EventSource reconnects by itself
 * after a network error; ``onOpen`` runs on each (re)connection, so a caller reloads
 * the full list there and never misses a change made while disconnected.
 */
export function follow(
  path: string,
  onMessage: (data: any) => void,
  onOpen?: () => void,
  query?: Record<string, string>
): () => void {
  const q: Record<string, string> = { ...(query ?? {}) };
  if (settings.token) {
    q.token = settings.token;
  }
  const source = new EventSource(url(path, Object.keys(q).length ? q : undefined));
  source.onmessage = event => {
    try {
      onMessage(JSON.parse(event.data));
    } catch {
      onMessage(event.data);
    }
  };
  if (onOpen) {
    source.onopen = () => onOpen();
  }
  return () => source.close();
}
