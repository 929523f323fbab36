/**
 * The Jobs side panel: the user's jobs, live from the change stream; the New job
 * form; the selected job. It listens only while shown (a hidden panel holds no
 * connection and polls no log), and each (re)connection's snapshot is the full list.
 */
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ChangeStream, errorMessage } from '../api';
import { button, el, setText } from '../dom';
import { jobsIcon } from '../icons';
import { getSite, jobStream, listJobs } from './client';
import { JobDetail } from './detail';
import { JobFiles } from './files';
import { NewJobForm } from './form';
import { JobList } from './list';
import { IJob } from './model';

export const PANEL_ID = 'funicular-jobs';
const TICK_MS = 5000; // elapsed times move on

export interface IPanelOptions {
  files: JobFiles;
  open(path: string): void;
}

export class JobsPanel extends Widget {
  constructor(options: IPanelOptions) {
    super();
    this.id = PANEL_ID;
    this.addClass('funicular-jobs-panel');
    this.title.icon = jobsIcon;
    this.title.caption = 'Jobs';

    this.status = el('span', { class: 'funicular-jobs-status', role: 'status' });
    this.toggle = button(
      'jp-mod-styled funicular-button jp-mod-accept funicular-new-job-toggle',
      'New job',
      () => this.showForm(this.formBox.hidden)
    );
    this.toggle.setAttribute('aria-expanded', 'false');
    this.message = el('div', { class: 'funicular-jobs-message', role: 'status' });
    this.form = new NewJobForm(job => this.submitted(job));
    this.formBox = el('div', { class: 'funicular-new-job-box', hidden: '' }, this.form.node);
    this.list = new JobList(id => this.select(id));
    this.detail = new JobDetail({
      files: options.files,
      open: options.open,
      resubmitted: job => this.submitted(job)
    });
    this.stream = jobStream({
      snapshot: jobs => {
        this.jobs = new Map(jobs.map(j => [j.id, j]));
        this.render();
      },
      job: job => this.upsert(job),
      status: connected => this.setStatus(connected ? '' : 'reconnecting…'),
      refused: () => void this.fallback()
    });
    this.node.append(
      el(
        'header',
        { class: 'funicular-jobs-header' },
        el('h2', {}, 'Jobs'),
        this.status,
        this.toggle
      ),
      this.message,
      this.formBox,
      this.list.node,
      this.detail.node
    );
  }

  /** Show (or hide) the New job form. */
  showForm(show: boolean): void {
    this.formBox.hidden = !show;
    this.toggle.setAttribute('aria-expanded', String(show));
    if (show) {
      void this.loadSite();
      this.form.focus();
    }
  }

  select(id: string | null): void {
    this.selected = id;
    this.detail.show(id === null ? null : (this.jobs.get(id) ?? null));
    this.render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.stop();
    this.detail.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this.stream.running) {
      this.setStatus('connecting…');
      this.stream.start();
    }
    this.detail.resume();
    void this.loadSite();
    if (this.ticker === null) {
      this.ticker = setInterval(() => this.render(), TICK_MS);
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.stop();
  }

  private stop(): void {
    this.stream.stop();
    this.detail.pause();
    if (this.ticker !== null) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  /** A newer record of a job (events carry whole records; one may come twice). */
  private upsert(job: IJob): void {
    const old = this.jobs.get(job.id);
    if (old && old.updated > job.updated) {
      return;
    }
    this.jobs.set(job.id, job);
    this.render();
  }

  private submitted(job: IJob): void {
    this.upsert(job);
    setText(
      this.message,
      `Submitted ${job.id}` + (job.backend_id ? ` (Slurm job ${job.backend_id})` : '')
    );
    this.showForm(false);
    this.select(job.id);
  }

  private render(): void {
    const now = Date.now() / 1000;
    this.list.render([...this.jobs.values()], this.selected, now);
    const job = this.selected === null ? undefined : this.jobs.get(this.selected);
    if (job && this.detail.jobId === job.id) {
      this.detail.update(job, now);
    }
  }

  /** Without the stream (refused: not configured, logged out), a plain GET says why. */
  private async fallback(): Promise<void> {
    try {
      const jobs = await listJobs();
      this.jobs = new Map(jobs.map(j => [j.id, j]));
      this.render();
      this.setStatus('live updates unavailable, retrying…');
    } catch (e) {
      this.setStatus(errorMessage(e));
    }
  }

  private async loadSite(): Promise<void> {
    if (this.siteLoaded) {
      return;
    }
    this.siteLoaded = true;
    try {
      this.form.setSite(await getSite());
    } catch (e) {
      this.siteLoaded = false; // asked again when the panel or the form opens
      setText(this.message, `The job service: ${errorMessage(e)}`);
    }
  }

  private setStatus(text: string): void {
    setText(this.status, text);
    this.node.dataset.connected = String(!text);
  }

  private jobs = new Map<string, IJob>();
  private selected: string | null = null;
  private siteLoaded = false;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private readonly stream: ChangeStream;
  private readonly status: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly message: HTMLElement;
  private readonly form: NewJobForm;
  private readonly formBox: HTMLElement;
  private readonly list: JobList;
  private readonly detail: JobDetail;
}
