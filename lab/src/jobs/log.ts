/**
 * A job's output, followed as it grows: GET jobs/ID/logs?offset=N again and again
 * (a second at a time while nothing new came), until the job has ended and all of
 * it was read. Polling rather than ``follow=1``: a stream that the browser
 * reconnects by itself would start again at its first offset.
 */
import { ApiError, errorMessage } from '../api';
import { el } from '../dom';
import { readLog } from './client';

const IDLE_MS = 1000;
const RETRY_MS = 3000;
const MAX_CHARS = 400_000; // what the page keeps of a long log: its end

export class LogView {
  readonly node: HTMLElement;

  constructor() {
    this.pre = el('pre', { id: 'funicular-job-log', class: 'funicular-job-log' });
    this.status = el('div', { class: 'funicular-job-log-status' });
    this.node = el('div', { class: 'funicular-job-log-box' }, this.pre, this.status);
  }

  /** Follow another job's (or task's) output from its start. */
  follow(jobId: string | null, task: number | null): void {
    this.generation++;
    this.jobId = jobId;
    this.task = task;
    this.offset = 0;
    this.done = jobId === null;
    this.inFlight = false; // a call of the last generation may still be out: ignored
    this.pre.textContent = '';
    this.pre.dataset.state = jobId === null ? '' : 'following';
    this.status.textContent = '';
    this.schedule(0);
  }

  /** Stop asking while nobody sees it; ``resume`` goes on from where it was. */
  pause(): void {
    this.paused = true;
    this.clearTimer();
  }

  resume(): void {
    this.paused = false;
    this.schedule(0);
  }

  /** The job has news (a new state): look now rather than after the idle wait. */
  poke(): void {
    if (this.timer !== null && !this.inFlight) {
      this.schedule(0);
    }
  }

  dispose(): void {
    this.generation++;
    this.clearTimer();
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.paused || this.done || this.jobId === null || this.inFlight) {
      return;
    }
    const gen = this.generation;
    this.timer = setTimeout(() => void this.poll(gen), ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private async poll(gen: number): Promise<void> {
    this.timer = null;
    if (gen !== this.generation || this.jobId === null) {
      return;
    }
    this.inFlight = true;
    let next = IDLE_MS;
    try {
      const chunk = await readLog(this.jobId, this.offset, this.task);
      if (gen !== this.generation) {
        return;
      }
      this.status.textContent = '';
      if (chunk.data) {
        this.append(chunk.data);
        next = 0;
      }
      this.offset = chunk.offset;
      this.pre.dataset.offset = String(chunk.offset);
      if (chunk.final && !chunk.data) {
        this.done = true;
        this.pre.dataset.state = 'ended';
        if (!this.pre.textContent) {
          this.status.textContent = 'No output.';
        }
      }
    } catch (e) {
      if (gen !== this.generation) {
        return;
      }
      this.status.textContent = errorMessage(e);
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
        this.done = true; // a refused request (a 400 naming the task): asking again will not help
      }
      next = RETRY_MS;
    } finally {
      if (gen === this.generation) {
        this.inFlight = false;
      }
    }
    if (gen === this.generation) {
      this.schedule(next);
    }
  }

  private append(text: string): void {
    const pre = this.pre;
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    pre.append(document.createTextNode(text));
    if ((pre.textContent?.length ?? 0) > MAX_CHARS) {
      pre.textContent = '[… earlier output not shown]\n' + pre.textContent!.slice(-MAX_CHARS / 2);
    }
    if (atEnd) {
      pre.scrollTop = pre.scrollHeight;
    }
  }

  private readonly pre: HTMLPreElement;
  private readonly status: HTMLElement;
  private jobId: string | null = null;
  private task: number | null = null;
  private offset = 0;
  private done = true;
  private paused = true;
  private inFlight = false;
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
}
