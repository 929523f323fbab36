/**
 * The selected job: what it is and how it stands, Cancel, Submit again (its own
 * request, as the record keeps it), the files in its directory, and its output
 * followed as it grows (an array's one task at a time).
 */
import { errorMessage } from '../api';
import { button, el, setText } from '../dom';
import { cancelJob, listOutputs, submitJob } from './client';
import { JobFiles } from './files';
import { LogView } from './log';
import {
  IJob,
  arrayTasks,
  exitText,
  joinCommand,
  localTime,
  stateClass,
  stagingText,
  stateText,
  timeText
} from './model';

export interface IDetailOptions {
  files: JobFiles;
  /** Open a file (a contents path) in JupyterLab or Notebook. */
  open(path: string): void;
  /** A job was submitted again: the panel shows the new one. */
  resubmitted(job: IJob): void;
}

const MAX_TASK_OPTIONS = 1000;
const BUTTON = 'jp-mod-styled funicular-button'; // JupyterLab's look, jobs.css's size

export class JobDetail {
  readonly node: HTMLElement;

  constructor(private readonly options: IDetailOptions) {
    this.title = el('h3', { class: 'funicular-job-title' });
    this.facts = el('dl', { class: 'funicular-job-facts' });
    this.requestFacts = el('dl', { class: 'funicular-job-facts' });
    this.cancel = button(`${BUTTON} jp-mod-warn funicular-job-cancel`, 'Cancel', () => {
      void this.doCancel();
    });
    this.resubmit = button(`${BUTTON} jp-mod-reject funicular-job-resubmit`, 'Submit again', () =>
      void this.doResubmit()
    );
    this.refresh = button(`${BUTTON} jp-mod-reject funicular-job-outputs-refresh`, 'Refresh', () =>
      void this.loadOutputs()
    );
    this.refresh.title = 'List the files in the job directory again';
    this.message = el('div', { class: 'funicular-job-message', role: 'status' });
    this.outputs = el('ul', { class: 'funicular-job-outputs' });
    this.task = el('select', { class: 'funicular-job-task', 'aria-label': 'Array task' });
    this.task.addEventListener('change', () => this.log.follow(this.job!.id, this.taskValue()));
    this.taskBox = el('label', { class: 'funicular-job-task-box' }, 'Task ', this.task);
    this.log = new LogView();
    this.node = el(
      'section',
      { class: 'funicular-job-detail', hidden: '' },
      this.title,
      this.facts,
      el('div', { class: 'funicular-job-actions' }, this.cancel, this.resubmit),
      this.message,
      el('h4', {}, 'Log ', this.taskBox),
      this.log.node,
      el('h4', {}, 'Outputs ', this.refresh),
      this.outputs,
      // what was asked for: folded, so that the log is in view
      el(
        'details',
        { class: 'funicular-job-request' },
        el('summary', {}, 'Request'),
        this.requestFacts
      )
    );
  }

  get jobId(): string | null {
    return this.job?.id ?? null;
  }

  /** Another job (or none): its output from the start, its files listed. */
  show(job: IJob | null): void {
    const same = job !== null && this.job?.id === job.id;
    this.job = job;
    this.node.hidden = job === null;
    if (same) {
      this.update(job!, Date.now() / 1000);
      return;
    }
    setText(this.message, '');
    this.outputs.replaceChildren();
    if (job === null) {
      this.log.follow(null, null);
      return;
    }
    this.node.dataset.jobId = job.id;
    this.fillTasks(job);
    this.update(job, Date.now() / 1000);
    this.log.follow(job.id, this.taskValue());
    void this.loadOutputs();
  }

  /** The same job's new record (a change event), or a tick of the clock. */
  update(job: IJob, now: number): void {
    const was = this.job;
    this.job = job;
    setText(this.title, job.name);
    const req = job.request ?? ({} as IJob['request']);
    const status: [string, string][] = [
      ['State', stateText(job)],
      ['Job', job.backend_id ? `${job.id} (Slurm ${job.backend_id}, ${job.backend})` : job.id],
      ['Nodes', job.nodes ?? ''],
      ['Time', timeText(job, now)],
      ['Exit', exitText(job)],
      ['Data', stagingText(job)],
      ['Started', job.started?.replace('T', ' ') ?? '']
    ];
    const asked: [string, string][] = [
      ['Submitted', localTime(job.submitted)],
      ['Image', req.image ?? ''],
      ['Command', joinCommand(req.command ?? [])],
      ['Partition', req.partition ?? ''],
      [
        'Resources',
        `${req.nodes ?? 1} node(s) × ${req.tasks_per_node ?? 1} task(s), ` +
          `${req.cpus_per_task ?? 1} CPU(s)/task, ${req.gpus ?? 0} GPU(s)/node, ` +
          `${req.minutes ?? 60} min` +
          (req.memory_mb ? `, ${req.memory_mb} MB` : '')
      ],
      ['Array', req.array ?? ''],
      ['Directory', job.dir]
    ];
    for (const [key, value] of status) {
      this.fact(this.facts, key, value);
    }
    for (const [key, value] of asked) {
      this.fact(this.requestFacts, key, value);
    }
    const state = this.facts.querySelector('dd[data-fact=state]')!;
    state.className = `funicular-job-state ${stateClass(job.state)}`;
    this.cancel.disabled = job.final || !job.backend_id;
    if (was && was.id === job.id && was.state !== job.state) {
      setText(this.message, ''); // "Cancelling…" has had its answer
      this.log.poke();
      if (job.final) {
        void this.loadOutputs(); // what it wrote at the end
      }
    }
  }

  /** One line of the facts, made once and changed in place (a tick must not lose a selection). */
  private fact(list: HTMLElement, key: string, value: string): void {
    let pair = this.factRows.get(key);
    if (!pair) {
      const dd = el('dd', { 'data-fact': key.toLowerCase() });
      pair = { dt: el('dt', {}, key), dd };
      list.append(pair.dt, pair.dd);
      this.factRows.set(key, pair);
    }
    setText(pair.dd, value);
    pair.dt.hidden = pair.dd.hidden = !value;
  }

  pause(): void {
    this.log.pause();
  }

  resume(): void {
    this.log.resume();
  }

  dispose(): void {
    this.log.dispose();
  }

  private fillTasks(job: IJob): void {
    const tasks = arrayTasks(job.request?.array, MAX_TASK_OPTIONS);
    this.taskBox.hidden = !job.request?.array;
    this.task.replaceChildren(...tasks.map(t => el('option', { value: String(t) }, String(t))));
  }

  private taskValue(): number | null {
    if (!this.job?.request?.array) {
      return null;
    }
    return this.task.value === '' ? 0 : Number(this.task.value);
  }

  private async doCancel(): Promise<void> {
    const job = this.job;
    if (!job) {
      return;
    }
    this.cancel.disabled = true;
    setText(this.message, `Cancelling ${job.id}…`);
    try {
      await cancelJob(job.id);
      // the new state comes through the change stream
    } catch (e) {
      setText(this.message, errorMessage(e));
      this.cancel.disabled = false;
    }
  }

  private async doResubmit(): Promise<void> {
    const job = this.job;
    if (!job) {
      return;
    }
    this.resubmit.disabled = true;
    try {
      const again = await submitJob(job.request);
      this.options.resubmitted(again);
    } catch (e) {
      setText(this.message, errorMessage(e));
    } finally {
      this.resubmit.disabled = false;
    }
  }

  private async loadOutputs(): Promise<void> {
    const job = this.job;
    if (!job) {
      return;
    }
    try {
      const [outputs, base] = await Promise.all([
        listOutputs(job.id),
        this.options.files.contentsPath(job.dir)
      ]);
      if (this.job?.id !== job.id) {
        return;
      }
      const items = outputs.files
        .sort((a, b) => a.path.localeCompare(b.path))
        .map(f => {
          const label = `${f.path} (${formatSize(f.size)})`;
          const item = el('li', { class: 'funicular-job-output', 'data-path': f.path });
          if (base !== null) {
            const link = el('a', { href: '#', title: `Open ${base}/${f.path}` }, label);
            link.addEventListener('click', e => {
              e.preventDefault();
              this.options.open(`${base}/${f.path}`);
            });
            item.append(link);
          } else {
            item.append(label);
            item.title = `~/${job.dir}/${f.path}: outside JupyterLab's root directory`;
          }
          return item;
        });
      this.outputs.replaceChildren(
        ...(items.length ? items : [el('li', { class: 'funicular-job-empty' }, 'No files yet.')])
      );
    } catch (e) {
      if (this.job?.id === job.id) {
        this.outputs.replaceChildren(el('li', { class: 'funicular-job-empty' }, errorMessage(e)));
      }
    }
  }

  private job: IJob | null = null;
  private readonly factRows = new Map<string, { dt: HTMLElement; dd: HTMLElement }>();
  private readonly title: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly requestFacts: HTMLElement;
  private readonly cancel: HTMLButtonElement;
  private readonly resubmit: HTMLButtonElement;
  private readonly refresh: HTMLButtonElement;
  private readonly message: HTMLElement;
  private readonly outputs: HTMLUListElement;
  private readonly task: HTMLSelectElement;
  private readonly taskBox: HTMLElement;
  private readonly log: LogView;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}
