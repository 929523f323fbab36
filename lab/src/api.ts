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

/**
 * The ``_xsrf`` cookie as JupyterLab's own requests send it (X-XSRFToken): the raw
 * value, and the last one when several paths set it (Tornado reads the last).
 */
function xsrfToken(): string | null {
  let value: string | null = null;
  for (const part of document.cookie.split(';')) {
    const trimmed = part.trim();
    if (trimmed.startsWith('_xsrf=')) {
      value = trimmed.substring('_xsrf='.length);
    }
  }
  return value;
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

/** An error's words for a panel: an ApiError's are the server's, naming the field. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message || String(error);
  }
  return typeof error === 'string' ? error : JSON.stringify(error);
}

export interface IStreamOptions {
  /** The full state (the event's JSON), first on every connection. */
  snapshot(data: any): void;
  /** The other named events' handlers (``job``, ``transfer``). */
  events: Record<string, (data: any) => void>;
  /** ``true`` on each snapshot; ``false`` on each error, retried by the browser or here. */
  status?(connected: boolean): void;
  /** The browser gave up on the stream (refused: a 503, a login gone); one is tried later. */
  refused?(): void;
  /** The first wait before a new stream after a refused one, and the most it doubles to. */
  retryMs: number;
  maxRetryMs: number;
}

/**
 * A change stream (``text/event-stream``: extension/api.py ``follow``). Its events are
 * named (``snapshot`` on each connection, then one per change, ``overflow`` before the
 * server ends a stream that fell behind) and ``onmessage`` sees unnamed ones only, so
 * each is listened to by name. The browser reconnects by itself after a dropped
 * connection, the overflow's too, and the next snapshot is the full state: nothing that
 * changed meanwhile is missed. After a refused one it gives up for good (readyState
 * CLOSED); then a fresh stream is tried, less often each time until a snapshot comes.
 */
export class ChangeStream {
  constructor(
    private readonly path: string,
    private readonly options: IStreamOptions
  ) {
    this.delay = options.retryMs;
  }

  /** Connected, connecting, or waiting to try again. */
  get running(): boolean {
    return this.source !== null || this.timer !== null;
  }

  start(): void {
    if (!this.running) {
      this.open();
    }
  }

  stop(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.source?.close();
    this.source = null;
  }

  private open(): void {
    this.timer = null;
    const options = this.options;
    // An EventSource sends no headers: it is authenticated by the session's cookie,
    // as the page is, and carries the XSRF token as ``_xsrf`` (a cookie-authenticated
    // request that is not a navigation must, behind JupyterHub). Never the API token
    // in the query: JupyterHub refuses one in a URL (URLs land in logs).
    const xsrf = xsrfToken();
    const source = new EventSource(url(this.path, xsrf ? { _xsrf: xsrf } : undefined));
    this.source = source;
    const listen = (name: string, handle: (data: any) => void) =>
      source.addEventListener(name, event => {
        let data: any;
        try {
          data = JSON.parse((event as MessageEvent).data);
        } catch {
          return;
        }
        handle(data);
      });
    source.addEventListener('snapshot', () => {
      this.delay = options.retryMs;
      options.status?.(true);
    });
    listen('snapshot', data => options.snapshot(data));
    for (const [name, handle] of Object.entries(options.events)) {
      listen(name, handle);
    }
    source.onerror = () => {
      if (this.source !== source) {
        return; // stopped
      }
      options.status?.(false);
      if (source.readyState === EventSource.CLOSED) {
        this.source = null;
        this.timer = setTimeout(() => this.open(), this.delay);
        this.delay = Math.min(this.delay * 2, options.maxRetryMs);
        options.refused?.();
      }
    };
  }

  private source: EventSource | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private delay: number;
}
