/**
 * The session's job as ``GET funicular/api/info`` tells it (server.ts), and the pure
 * rules the status item and the walltime notification follow (tested in the browser
 * test's countdown; no clock is read here).
 */
import { clock } from '../format';
import type { IServerInfo } from '../server';

/** ``1:02:03`` or ``4:05``: seconds left as the status bar shows them. */
export function formatLeft(seconds: number): string {
  return clock(Math.max(0, seconds));
}

/** The end as the user's clock shows it, e.g. ``14:30``. */
export function formatEnd(endTime: number): string {
  return new Date(endTime * 1000).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
}

/** What the status item says: ``Job 42 · mc1 · 1:02:03 left``. */
export function statusText(info: IServerInfo, now: number): string {
  const parts: string[] = [];
  parts.push(info.slurm_job_id ? `Job ${info.slurm_job_id}` : 'No Slurm job');
  if (info.slurm_node) {
    parts.push(info.slurm_node);
  }
  if (info.job_end_time !== null) {
    parts.push(`${formatLeft(info.job_end_time - now)} left`);
  }
  return parts.join(' · ');
}

/** Which notices are due now and not yet shown. */
export function dueNotices(
  info: IServerInfo,
  now: number,
  warningMinutes: number,
  shown: { ahead: boolean; signal: boolean }
): { ahead: boolean; signal: boolean } {
  const end = info.job_end_time;
  const ahead =
    !shown.ahead &&
    end !== null &&
    warningMinutes > 0 &&
    end - now <= warningMinutes * 60 &&
    end > now;
  const signal = !shown.signal && info.walltime_warning_at !== null;
  return { ahead, signal };
}
