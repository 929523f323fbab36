/**
 * The jobs API's JSON (``extension/jobs``: ``JobRecord.to_json`` plus ``staging``,
 * ``JobRequest.to_json``, the site) and what the panel shows of it: pure.
 */
import { clock } from '../format';

/** A request as ``core/jobs/request.py`` takes it; the server fills in the rest. */
export interface IJobRequest {
  image: string;
  command: string[];
  partition: string;
  nodes?: number;
  tasks_per_node?: number;
  cpus_per_task?: number;
  gpus?: number;
  memory_mb?: number | null;
  minutes?: number;
  account?: string | null;
  mpi?: string;
  env?: Record<string, string>;
  workdir?: string | null;
  array?: string | null;
  after?: string[];
  name?: string;
  stage_in?: { src: string; dst: string }[];
  stage_out?: { src: string; dst: string }[];
}

export interface IStageReport {
  src: string;
  state: string;
  error?: string | null;
}

export interface IJob {
  id: string;
  backend: string;
  backend_id: string | null;
  name: string;
  request: IJobRequest;
  dir: string; // relative to the home
  state: string;
  reason: string | null;
  nodes: string | null;
  submitted: number; // epoch seconds
  started: string | null; // Slurm's local time, "YYYY-MM-DDTHH:MM:SS"
  ended: string | null;
  exit_code: string | null; // "code:signal"
  expected_start: string | null;
  tasks: Record<string, number>; // an array's tasks: state -> how many
  error: string | null;
  updated: number;
  final: boolean;
  staging?: { in: IStageReport[] | null; out: IStageReport[] | null };
}

export interface ISite {
  backend: string;
  partitions: string[];
  images: Record<string, { description: string; runtime: string }>;
}

export interface ILogChunk {
  data: string;
  offset: number; // bytes: where the next read starts
  size: number;
  final: boolean;
}

export interface IOutputs {
  dir: string;
  files: { path: string; size: number; modified: number }[];
}

/** What JobLauncher offers for MPI (``core.containers.base.MPI_MODES``). */
export const MPI_MODES = ['none', 'hybrid', 'bind'];

function epoch(iso: string | null): number | null {
  // no offset in the string: ECMAScript reads it as local time, as view.py does
  if (!iso || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(iso)) {
    return null;
  }
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? null : t / 1000;
}

/** ``1:02:03``; '' for a time not known or not yet come. */
export function duration(seconds: number | null): string {
  return seconds === null || seconds < 0 ? '' : clock(seconds);
}

/** Epoch seconds as Slurm writes times ("2025-01-31 14:05:09"), in the browser's zone. */
export function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Elapsed and left while it runs, how long it ran once ended (as JobMonitor). */
export function timeText(job: IJob, now: number): string {
  const start = epoch(job.started);
  const end = epoch(job.ended);
  const limit = (job.request?.minutes ?? 0) * 60;
  if (job.state === 'RUNNING' && start !== null) {
    const left = duration(start + limit - now);
    return `${duration(now - start)} elapsed` + (left ? `, ${left} left` : '');
  }
  if (job.final && start !== null && end !== null) {
    return `ran ${duration(end - start)}`;
  }
  if (job.state === 'PENDING' && job.expected_start) {
    return `expected ${job.expected_start.replace('T', ' ')}`;
  }
  return '';
}

/** The state, with an array's task counts ("RUNNING (2 completed, 1 running)"). */
export function stateText(job: IJob): string {
  const tasks = Object.entries(job.tasks ?? {});
  const total = tasks.reduce((n, [, k]) => n + k, 0);
  if (total <= 1) {
    return job.state;
  }
  const parts = tasks
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${n} ${s.toLowerCase()}`);
  return `${job.state} (${parts.join(', ')})`;
}

/** Why it waits or how it ended: exit code, Slurm's reason, the submit's error. */
export function exitText(job: IJob): string {
  const parts: string[] = [];
  if (job.exit_code) {
    parts.push(`exit ${job.exit_code}`);
  }
  if (job.reason) {
    parts.push(job.reason);
  }
  if (job.error) {
    parts.push(job.error);
  }
  return parts.join(' · ');
}

/** What a job staged: "in 2/2, out 1/1" as files reach the store, failures named (view.py). */
export function stagingText(job: IJob): string {
  if (!job.staging) {
    return '';
  }
  const parts: string[] = [];
  for (const direction of ['in', 'out'] as const) {
    const wanted = (job.request?.[`stage_${direction}`] ?? []).length;
    if (!wanted) {
      continue;
    }
    const report = job.staging[direction] ?? [];
    const done = report.filter(r => r.state === 'done').length;
    const failed = report.find(r => r.state !== 'done');
    parts.push(
      `${direction} ${done}/${wanted}` +
        (failed ? ` (${failed.src}: ${failed.error || failed.state})` : '')
    );
  }
  return parts.join(', ');
}

/** A CSS class per state, for colour only. */
export function stateClass(state: string): string {
  return `funicular-state-${state.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/** The task indices of an --array value, as ``core.jobs.array_tasks``; [] if unreadable. */
export function arrayTasks(value: string | null | undefined, max = 10000): number[] {
  if (!value) {
    return [];
  }
  const out: number[] = [];
  for (const part of value.split('%')[0].split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!m) {
      return [];
    }
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = lo; i <= hi && step > 0 && out.length < max; i += step) {
      out.push(i);
    }
  }
  return out;
}

/** Arguments back into one line that ``splitCommand`` reads as them (``shlex.join``). */
export function joinCommand(argv: string[]): string {
  return argv
    .map(a => (a !== '' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`))
    .join(' ');
}

/**
 * A command line into arguments as a POSIX shell splits words (Python's
 * ``shlex.split``, which JobLauncher uses): no shell ever runs it, so ``;`` and
 * ``$(...)`` stay literal. Throws on an unclosed quote or a trailing backslash.
 */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") {
        quote = '';
      } else {
        word += c;
      }
    } else if (quote === '"') {
      if (c === '"') {
        quote = '';
      } else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) {
        throw new Error('no character after the last backslash');
      }
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        out.push(word);
      }
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new Error('no closing quotation');
  }
  if (inWord) {
    out.push(word);
  }
  return out;
}
