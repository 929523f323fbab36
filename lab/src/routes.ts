/**
 * The server extension's routes, relative to the server's base URL.
 *
 * The table they agree with is Python's ``funicular.extension.routes`` (built on
 * ``funicular.core.hubapi.SERVER_API``); tests/unit/lab/test_routes.py fails when the
 * two part ways.
 */
export const SERVER_API = 'funicular/api';

export const ROUTES = {
  info: `${SERVER_API}/info`,
  jobs: `${SERVER_API}/jobs`,
  jobsSite: `${SERVER_API}/jobs/site`,
  jobsEvents: `${SERVER_API}/jobs/events`,
  transfers: `${SERVER_API}/transfers`,
  transfersEvents: `${SERVER_API}/transfers/events`,
  storage: `${SERVER_API}/storage`,
  storageLs: `${SERVER_API}/storage/ls`,
  storageRm: `${SERVER_API}/storage/rm`,
  storageMkdir: `${SERVER_API}/storage/mkdir`,
  storageShare: `${SERVER_API}/storage/share`
} as const;

/** One job's routes (``jobs/ID``, ``jobs/ID/cancel``, ``logs``, ``outputs``). */
export function jobRoute(
  id: string,
  action?: 'cancel' | 'logs' | 'outputs'
): string {
  const base = `${ROUTES.jobs}/${encodeURIComponent(id)}`;
  return action ? `${base}/${action}` : base;
}

/** One transfer's routes (``transfers/ID``, ``transfers/ID/cancel`` or ``resume``). */
export function transferRoute(id: string, action?: 'cancel' | 'resume'): string {
  const base = `${ROUTES.transfers}/${encodeURIComponent(id)}`;
  return action ? `${base}/${action}` : base;
}
