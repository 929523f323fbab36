/**
 * Where the server runs (``GET info``: extension/runtime_info.py) and where its files
 * are. The session reads its Slurm job and walltime there; the panels its home and
 * working directory, to tell the contents API's paths from the server's own.
 */
import { PageConfig } from '@jupyterlab/coreutils';

import { request } from './api';
import { ROUTES } from './routes';

/** The fields of ``runtime_info`` this front end reads. */
export interface IServerInfo {
  hostname: string;
  user: string;
  /** HOME as the server's process (inside its container) sees it. */
  home: string | null;
  /** Where the server started: where the spawner starts it, so its root. */
  cwd: string;
  slurm_job_id: string | null;
  slurm_node: string | null;
  slurm_partition: string | null;
  /** Unix seconds; null outside a job with a walltime. */
  job_end_time: number | null;
  /** Unix seconds when Slurm's walltime signal reached the server; null before. */
  walltime_warning_at: number | null;
}

/** Asked afresh each call: the session polls it for a walltime signal or a changed end. */
export function serverInfo(): Promise<IServerInfo> {
  return request<IServerInfo>(ROUTES.info);
}

let placesAnswer: Promise<IServerInfo> | null = null;

/** The info for what does not change while the server runs (home, cwd): asked once. */
export function serverPlaces(): Promise<IServerInfo> {
  if (!placesAnswer) {
    placesAnswer = serverInfo();
    placesAnswer.catch(() => (placesAnswer = null)); // asked again next time
  }
  return placesAnswer;
}

/**
 * The server's root directory (what contents paths are relative to), absolute as its
 * process sees it: the page config's ``serverRoot`` (jupyter_server's root_dir, written
 * "~/..." when under the home), "~" read as the server's HOME; without one, its
 * working directory.
 */
export async function serverRoot(): Promise<string> {
  const configured = PageConfig.getOption('serverRoot');
  if (configured.startsWith('/')) {
    return trim(configured);
  }
  const where = await serverPlaces();
  if (configured === '~' || configured.startsWith('~/')) {
    if (!where.home) {
      throw new Error('the server does not say where its home is');
    }
    return trim(where.home + configured.slice(1));
  }
  return trim(where.cwd);
}

/** ``path`` relative to the directory ``dir`` ("" for itself), or null outside it. */
export function within(dir: string, path: string): string | null {
  const d = dir.replace(/\/+$/, '');
  if (path === d || path === d + '/') {
    return '';
  }
  return path.startsWith(d + '/') ? path.slice(d.length + 1) : null;
}

function trim(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
