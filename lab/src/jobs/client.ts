/** The jobs API's calls (``extension/jobs/handlers.py``), on ``api.ts``'s helpers. */
import { ChangeStream, post, request } from '../api';
import { ROUTES, jobRoute } from '../routes';
import { IJob, IJobRequest, ILogChunk, IOutputs, ISite } from './model';

export async function listJobs(): Promise<IJob[]> {
  return (await request<{ jobs: IJob[] }>(ROUTES.jobs)).jobs;
}

export function getSite(): Promise<ISite> {
  return request<ISite>(ROUTES.jobsSite);
}

/** 201 with the record; a refused field comes back as ApiError with ``field``. */
export function submitJob(req: IJobRequest): Promise<IJob> {
  return post<IJob>(ROUTES.jobs, req);
}

export function cancelJob(id: string): Promise<IJob> {
  return post<IJob>(jobRoute(id, 'cancel'));
}

/** Bytes from ``offset`` (at most 1 MiB a call); an array's job needs its task. */
export function readLog(id: string, offset: number, task: number | null): Promise<ILogChunk> {
  const query: Record<string, string> = { offset: String(offset) };
  if (task !== null) {
    query.task = String(task);
  }
  return request<ILogChunk>(jobRoute(id, 'logs'), {}, query);
}

export function listOutputs(id: string): Promise<IOutputs> {
  return request<IOutputs>(jobRoute(id, 'outputs'));
}

export interface IJobStreamHandlers {
  snapshot(jobs: IJob[]): void;
  job(job: IJob): void;
  /** Connected (a snapshot came), or lost and retrying. */
  status(connected: boolean): void;
  /** The stream was refused: the caller may fall back to a plain GET. */
  refused(): void;
}

/** GET jobs/events: ``snapshot`` (every job) on each connection, then ``job`` per change. */
export function jobStream(on: IJobStreamHandlers): ChangeStream {
  return new ChangeStream(ROUTES.jobsEvents, {
    snapshot: data => on.snapshot(data.jobs ?? []),
    events: { job: data => on.job(data.job) },
    status: connected => on.status(connected),
    refused: () => on.refused(),
    retryMs: 2000,
    maxRetryMs: 30000
  });
}
