/**
 * The user's transfers, live: the change stream's snapshot on every (re)connection,
 * then each record as it changes. A row shows what goes where, a progress bar (bytes
 * done of the size), the state, "verified" once the copy was checked against the
 * source (the record's ``verified``: md5, etag or size), the error, and what can be
 * done: Cancel a queued, running or interrupted one, Resume a resumable one, Forget an
 * ended one.
 */
import { ChangeStream, errorMessage } from '../api';
import { button, el } from '../dom';
import * as api from './client';
import { ENDED, TransferRecord } from './client';
import { basename, formatSize } from './locations';
import { TOOL } from './tool';

export interface ITransfersHost {
  error(text: string): void;
  /** A transfer that has just ended: the panel refreshes what it shows. */
  ended(record: TransferRecord): void;
}

export class TransfersView {
  readonly node = el('section', 'funicular-storage-transfers');

  constructor(private host: ITransfersHost) {
    const head = el('div', 'funicular-storage-section-head');
    head.append(
      el('span', 'funicular-storage-section-title', 'Transfers'),
      this._status,
      button(
        'funicular-storage-button funicular-transfers-forget-ended',
        'Forget ended',
        () => void this._forgetEnded(),
        { ...TOOL, title: 'Forget every ended transfer' }
      )
    );
    this.node.append(head, this._empty, this._list);
    this._empty.textContent = 'No transfers yet: drop files on a container.';
  }

  start(): void {
    void this.reload();
    this._stream = api.transferStream({
      snapshot: records => this.replace(records),
      transfer: record => this.upsert(record),
      // "reconnecting…" only once the browser gave up: its own reconnects (after an
      // overflow, a dropped connection) take a second and end in a snapshot
      status: connected => {
        if (connected) {
          this._setStatus('');
        }
      },
      refused: () => {
        this._setStatus('reconnecting…');
        void this.reload(); // says why, where the stream cannot
      }
    });
    this._stream.start();
  }

  dispose(): void {
    this._stream?.stop();
  }

  async reload(): Promise<void> {
    try {
      this.replace(await api.transfers());
    } catch (e) {
      this.host.error(`Transfers: ${errorMessage(e)}`);
    }
  }

  replace(records: TransferRecord[]): void {
    const seen = new Set(records.map(r => r.id));
    for (const [id, row] of this._rows) {
      if (!seen.has(id)) {
        row.node.remove();
        this._rows.delete(id);
      }
    }
    for (const r of records) {
      this.upsert(r);
    }
  }

  upsert(record: TransferRecord): void {
    let row = this._rows.get(record.id);
    if (!row) {
      row = new TransferRow(record.id, this);
      this._rows.set(record.id, row);
    }
    const was = row.state;
    row.update(record);
    // an end seen now: of a row already shown, or of one started since the page loaded
    // (a fast one may be first seen done); not every old record of the first snapshot
    const fresh = was !== '' || record.created >= this._since;
    if (was !== record.state && fresh && ENDED.includes(record.state)) {
      this.host.ended(record);
    }
    this._order();
  }

  /** Newest first, as the server lists them. */
  private _order(): void {
    const rows = [...this._rows.values()].sort((a, b) => b.created - a.created);
    rows.forEach((row, i) => {
      if (this._list.children[i] !== row.node) {
        this._list.insertBefore(row.node, this._list.children[i] ?? null);
      }
    });
    this._empty.hidden = rows.length > 0;
  }

  async act(id: string, action: 'cancel' | 'resume' | 'forget'): Promise<void> {
    try {
      if (action === 'forget') {
        await api.forget(id);
        this._rows.get(id)?.node.remove();
        this._rows.delete(id);
        this._order();
      } else {
        this.upsert(await api[action](id));
      }
    } catch (e) {
      this.host.error(`${action} ${id}: ${errorMessage(e)}`);
    }
  }

  private async _forgetEnded(): Promise<void> {
    for (const row of [...this._rows.values()]) {
      if (ENDED.includes(row.state as api.TransferState)) {
        await this.act(row.id, 'forget');
      }
    }
  }

  private _setStatus(text: string): void {
    this._status.textContent = text;
  }

  private _rows = new Map<string, TransferRow>();
  private _list = el('div', 'funicular-storage-transfer-list');
  private _empty = el('div', 'funicular-storage-empty');
  private _status = el('span', 'funicular-storage-stream-status');
  private _stream: ChangeStream | null = null;
  private _since = Date.now() / 1000 - 5; // the server's clock may be a little behind
}

class TransferRow {
  readonly node = el('div', 'funicular-transfer');
  state = '';
  created = 0;

  constructor(
    readonly id: string,
    view: TransfersView
  ) {
    this.node.dataset.id = id;
    const what = el('div', 'funicular-transfer-what');
    what.append(this._src, el('span', 'funicular-transfer-arrow', ' → '), this._dst);
    const line = el('div', 'funicular-transfer-line');
    line.append(this._state, this._verified, this._bytes, this._actions);
    const act = (action: 'cancel' | 'resume' | 'forget') => () => void view.act(id, action);
    this._actions.append(
      button('funicular-storage-button funicular-transfer-cancel', 'Cancel', act('cancel'), {
        ...TOOL,
        title: 'Stop it and drop what it wrote'
      }),
      button('funicular-storage-button funicular-transfer-resume', 'Resume', act('resume'), {
        ...TOOL,
        title: 'Continue from the parts already moved'
      }),
      button('funicular-storage-button funicular-transfer-forget', 'Forget', act('forget'), {
        ...TOOL,
        title: 'Remove it from this list'
      })
    );
    this.node.append(what, this._bar, line, this._error);
  }

  update(r: TransferRecord): void {
    this.state = r.state;
    this.created = r.created;
    this.node.dataset.state = r.state;
    this.node.dataset.src = r.src;
    this.node.dataset.dst = r.dst;
    this._src.textContent = basename(r.src);
    this._src.title = r.src;
    this._dst.textContent = r.dst;
    this._dst.title = r.dst;

    const done = r.state === 'done' ? r.size : r.bytes_done;
    this._bar.max = Math.max(1, r.size);
    this._bar.value = r.state === 'done' ? this._bar.max : Math.min(done, this._bar.max);
    this._state.textContent = r.state;
    if (r.state === 'done' && r.verified) {
      this.node.dataset.verified = r.verified;
      this._verified.textContent = `verified (${r.verified})`;
      this._verified.title = r.checksum ? `checksum ${r.checksum}` : '';
    } else {
      delete this.node.dataset.verified;
      this._verified.textContent = '';
    }
    const rate = r.rate_mb_s && r.state === 'running' ? ` · ${r.rate_mb_s} MB/s` : '';
    this._bytes.textContent = `${formatSize(done)} of ${formatSize(r.size)}${rate}`;
    this._error.textContent = r.state === 'done' ? '' : r.error;

    const [cancel, resume, forget] = [...this._actions.children] as HTMLElement[];
    cancel.hidden = ENDED.includes(r.state);
    resume.hidden = !r.resumable;
    forget.hidden = !ENDED.includes(r.state);
  }

  private _src = el('span', 'funicular-transfer-src');
  private _dst = el('span', 'funicular-transfer-dst');
  private _bar = el('progress', 'funicular-transfer-progress');
  private _state = el('span', 'funicular-transfer-state');
  private _verified = el('span', 'funicular-transfer-verified');
  private _bytes = el('span', 'funicular-transfer-bytes');
  private _error = el('div', 'funicular-transfer-error');
  private _actions = el('div', 'funicular-transfer-actions');
}
