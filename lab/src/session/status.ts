/**
 * The status-bar item (JupyterLab) or top-bar item (Notebook 7): the session's
 * Slurm job, its node and its time left, ticking every second. It asks the server
 * again every ``REFRESH_S`` so a walltime signal or a changed end shows up.
 */
import { Widget } from '@lumino/widgets';

import { IServerInfo, serverInfo } from '../server';
import { dueNotices, formatLeft, statusText } from './model';

const REFRESH_S = 20;

export interface INoticeSink {
  /** ``minutesLeft`` minutes before the end. */
  ahead(info: IServerInfo, secondsLeft: number): void;
  /** Slurm's walltime signal reached the server. */
  signal(info: IServerInfo): void;
}

export class SessionStatus extends Widget {
  constructor(
    private readonly notices: INoticeSink,
    private warningMinutes: () => number
  ) {
    super();
    this.id = 'funicular-session-status';
    this.addClass('funicular-session-status');
    this.node.textContent = 'Funicular…';
    this.node.title = 'Your session: its Slurm job, node and time left';
  }

  /** Start ticking; fetches the info at once. */
  start(): void {
    void this.refresh();
    this.tick = window.setInterval(() => this.render(), 1000);
    this.poll = window.setInterval(() => void this.refresh(), REFRESH_S * 1000);
  }

  dispose(): void {
    window.clearInterval(this.tick);
    window.clearInterval(this.poll);
    super.dispose();
  }

  private async refresh(): Promise<void> {
    try {
      this.info = await serverInfo();
      this.node.classList.remove('funicular-session-unknown');
    } catch {
      // the server may be going away at the end of its job: keep counting
      this.node.classList.add('funicular-session-unknown');
    }
    this.render();
  }

  private render(): void {
    const info = this.info;
    if (!info) {
      return;
    }
    const now = Date.now() / 1000;
    this.node.textContent = statusText(info, now);
    this.node.dataset.jobId = info.slurm_job_id ?? '';
    const left = info.job_end_time === null ? null : info.job_end_time - now;
    const minutes = this.warningMinutes();
    this.node.classList.toggle(
      'funicular-session-ending',
      left !== null && minutes > 0 && left <= minutes * 60
    );
    if (left !== null) {
      this.node.title = `Slurm job ${info.slurm_job_id ?? '?'} on ${
        info.slurm_node ?? info.hostname
      }: ${formatLeft(left)} left`;
    }
    const due = dueNotices(info, now, minutes, this.shown);
    if (due.ahead && left !== null) {
      this.shown.ahead = true;
      this.notices.ahead(info, left);
    }
    if (due.signal) {
      this.shown.signal = true;
      this.notices.signal(info);
    }
  }

  private info: IServerInfo | null = null;
  private shown = { ahead: false, signal: false };
  private tick = 0;
  private poll = 0;
}
