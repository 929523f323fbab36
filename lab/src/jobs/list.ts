/**
 * The list of the user's jobs, newest first: one row per job, made once and then
 * changed in place, so that a re-render every few seconds (elapsed time) keeps focus
 * and selection.
 */
import { el, setText } from '../dom';
import { IJob, exitText, joinCommand, stateClass, stateText, timeText } from './model';

interface IRow {
  node: HTMLLIElement;
  name: HTMLElement;
  state: HTMLElement;
  id: HTMLElement;
  nodes: HTMLElement;
  time: HTMLElement;
  exit: HTMLElement;
}

export class JobList {
  readonly node: HTMLUListElement;

  constructor(private readonly onSelect: (id: string) => void) {
    this.node = el('ul', { class: 'funicular-job-list', role: 'listbox', 'aria-label': 'Jobs' });
    this.empty = el('li', { class: 'funicular-job-empty' }, 'No jobs yet.');
  }

  render(jobs: IJob[], selected: string | null, now: number): void {
    const sorted = [...jobs].sort((a, b) => b.submitted - a.submitted);
    const wanted: HTMLLIElement[] = [];
    for (const job of sorted) {
      const row = this.rows.get(job.id) ?? this.makeRow(job.id);
      this.fill(row, job, job.id === selected, now);
      wanted.push(row.node);
    }
    for (const [id, row] of this.rows) {
      if (!jobs.some(j => j.id === id)) {
        row.node.remove();
        this.rows.delete(id);
      }
    }
    if (!wanted.length) {
      wanted.push(this.empty);
    }
    // reorder only when the order changed: moving a focused row loses focus
    const current = Array.from(this.node.children);
    if (current.length !== wanted.length || current.some((n, i) => n !== wanted[i])) {
      this.node.replaceChildren(...wanted);
    }
  }

  private makeRow(id: string): IRow {
    const span = (cls: string) => el('span', { class: cls });
    const row: IRow = {
      node: el('li', {
        class: 'funicular-job-row',
        'data-job-id': id,
        role: 'option',
        tabindex: '0'
      }),
      name: span('funicular-job-name'),
      state: span('funicular-job-state'),
      id: span('funicular-job-id'),
      nodes: span('funicular-job-nodes'),
      time: span('funicular-job-time'),
      exit: span('funicular-job-exit')
    };
    row.node.append(
      el('div', { class: 'funicular-job-line' }, row.name, row.state),
      el('div', { class: 'funicular-job-line funicular-job-sub' }, row.id, row.nodes, row.time),
      el('div', { class: 'funicular-job-line funicular-job-sub' }, row.exit)
    );
    row.node.addEventListener('click', () => this.onSelect(id));
    row.node.addEventListener('keydown', e => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.onSelect(id);
      }
    });
    this.rows.set(id, row);
    return row;
  }

  private fill(row: IRow, job: IJob, selected: boolean, now: number): void {
    setText(row.name, job.name);
    row.name.title = joinCommand(job.request?.command ?? []);
    setText(row.state, stateText(job));
    row.state.className = `funicular-job-state ${stateClass(job.state)}`;
    setText(row.id, job.backend_id ? `${job.id} · Slurm ${job.backend_id}` : job.id);
    setText(row.nodes, job.nodes ?? '');
    setText(row.time, timeText(job, now));
    setText(row.exit, exitText(job));
    row.node.dataset.state = job.state;
    row.node.dataset.final = String(job.final);
    row.node.classList.toggle('funicular-selected', selected);
    row.node.setAttribute('aria-selected', String(selected));
  }

  private readonly rows = new Map<string, IRow>();
  private readonly empty: HTMLLIElement;
}
