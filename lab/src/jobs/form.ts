/**
 * The New job form: what JobLauncher offers (and a name, CPUs and memory), its
 * choices from GET jobs/site. The server's validation is the only one: the form
 * sends what was typed (numbers as numbers, empty optional fields left out) and shows
 * a 400's message next to the field it names. The browser's own checks are off.
 */
import { ApiError } from '../api';
import { el } from '../dom';
import { submitJob } from './client';
import { IJob, IJobRequest, ISite, MPI_MODES, splitCommand } from './model';

type Kind = 'text' | 'number' | 'select';

interface IField {
  name: keyof IJobRequest;
  label: string;
  kind: Kind;
  value?: string;
  placeholder?: string;
  options?: string[];
}

// the order of JobLauncher's form; ``name`` is a JobRequest field each
const FIELDS: IField[] = [
  { name: 'image', label: 'Image', kind: 'select' },
  {
    name: 'command',
    label: 'Command',
    kind: 'text',
    placeholder: 'python3 simulate.py --steps 100'
  },
  { name: 'partition', label: 'Partition', kind: 'select' },
  { name: 'name', label: 'Name', kind: 'text', placeholder: 'job' },
  { name: 'nodes', label: 'Nodes', kind: 'number', value: '1' },
  { name: 'tasks_per_node', label: 'Tasks/node', kind: 'number', value: '1' },
  { name: 'cpus_per_task', label: 'CPUs/task', kind: 'number', value: '1' },
  { name: 'gpus', label: 'GPUs/node', kind: 'number', value: '0' },
  { name: 'memory_mb', label: 'Memory (MB/node)', kind: 'number', placeholder: '(default)' },
  { name: 'minutes', label: 'Minutes', kind: 'number', value: '30' },
  { name: 'account', label: 'Account', kind: 'text', placeholder: '(default)' },
  { name: 'mpi', label: 'MPI', kind: 'select', options: MPI_MODES },
  { name: 'array', label: 'Array', kind: 'text', placeholder: 'e.g. 0-9 (a sweep)' }
];

type Input = HTMLInputElement | HTMLSelectElement;

export class NewJobForm {
  readonly node: HTMLFormElement;

  constructor(private readonly onSubmitted: (job: IJob) => void) {
    this.node = el('form', { id: 'funicular-new-job', class: 'funicular-new-job' });
    this.node.noValidate = true;
    for (const f of FIELDS) {
      this.node.append(this.makeField(f));
    }
    this.formError = el('div', { class: 'funicular-form-error', role: 'alert' });
    this.submit = el(
      'button',
      {
        type: 'submit',
        id: 'funicular-new-job-submit',
        class: 'jp-mod-styled jp-mod-accept funicular-button'
      },
      'Submit'
    );
    this.node.append(el('div', { class: 'funicular-form-actions' }, this.submit), this.formError);
    this.node.addEventListener('submit', e => {
      e.preventDefault();
      void this.send();
    });
  }

  /** The site's images and partitions; a site that names no partitions gets a text box. */
  setSite(site: ISite): void {
    const image = this.inputs.get('image') as HTMLSelectElement;
    const keep = image.value;
    image.replaceChildren(
      ...Object.entries(site.images).map(([name, i]) =>
        el('option', { value: name }, i.description ? `${name} — ${i.description}` : name)
      )
    );
    if (keep && site.images[keep]) {
      image.value = keep;
    }
    const old = this.inputs.get('partition')!;
    const keepPart = old.value;
    const partition: Input = site.partitions.length
      ? el('select', {}, ...site.partitions.map(p => el('option', { value: p }, p)))
      : el('input', { type: 'text', placeholder: 'partition' });
    partition.name = 'partition';
    partition.id = old.id;
    old.replaceWith(partition);
    this.inputs.set('partition', partition);
    if (keepPart && (!site.partitions.length || site.partitions.includes(keepPart))) {
      partition.value = keepPart;
    }
  }

  focus(): void {
    this.inputs.get('command')?.focus();
  }

  private makeField(f: IField): HTMLElement {
    const id = `funicular-new-job-${f.name}`;
    let input: Input;
    if (f.kind === 'select') {
      input = el('select', {}, ...(f.options ?? []).map(o => el('option', { value: o }, o)));
    } else {
      // type=number gives a numeric keyboard and a spinner; no min/max: the server decides
      input = el('input', { type: f.kind === 'number' ? 'number' : 'text' });
      if (f.kind === 'number') {
        input.setAttribute('step', '1');
      }
      if (f.placeholder) {
        input.placeholder = f.placeholder;
      }
      input.value = f.value ?? '';
    }
    input.name = f.name;
    input.id = id;
    this.inputs.set(f.name, input);
    const error = el('div', {
      class: 'funicular-field-error',
      'data-field': f.name,
      'aria-live': 'polite'
    });
    this.errors.set(f.name, error);
    return el(
      'div',
      { class: 'funicular-field', 'data-field': f.name },
      el('label', { for: id }, f.label),
      input,
      error
    );
  }

  /** The request as typed; an unsplittable command line is the one local error. */
  private body(): IJobRequest {
    const body: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const raw = this.inputs.get(f.name)!.value;
      if (f.name === 'command') {
        body.command = splitCommand(raw);
      } else if (f.kind === 'number') {
        if (raw.trim() !== '') {
          body[f.name] = Number(raw);
        }
      } else if (raw.trim() !== '' || f.name === 'image' || f.name === 'partition') {
        body[f.name] = f.kind === 'select' ? raw : raw.trim();
      }
    }
    return body as unknown as IJobRequest;
  }

  private clearErrors(): void {
    for (const e of this.errors.values()) {
      e.textContent = '';
    }
    this.formError.textContent = '';
    for (const input of this.inputs.values()) {
      input.removeAttribute('aria-invalid');
    }
  }

  private showError(field: string | undefined, message: string): void {
    const at = field ? this.errors.get(field as keyof IJobRequest) : undefined;
    if (at) {
      at.textContent = message;
      const input = this.inputs.get(field as keyof IJobRequest)!;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } else {
      // a field the form has no box for (env, after, job), or no field at all
      this.formError.textContent = message;
      this.formError.dataset.field = field ?? '';
    }
  }

  private async send(): Promise<void> {
    this.clearErrors();
    let body: IJobRequest;
    try {
      body = this.body();
    } catch (e) {
      this.showError('command', `command: ${(e as Error).message}`);
      return;
    }
    this.submit.disabled = true;
    try {
      this.onSubmitted(await submitJob(body));
    } catch (e) {
      if (e instanceof ApiError) {
        this.showError(e.field, e.message);
      } else {
        this.showError(undefined, String(e));
      }
    } finally {
      this.submit.disabled = false;
    }
  }

  private readonly inputs = new Map<keyof IJobRequest, Input>();
  private readonly errors = new Map<keyof IJobRequest, HTMLElement>();
  private readonly formError: HTMLElement;
  private readonly submit: HTMLButtonElement;
}
