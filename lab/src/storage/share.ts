/**
 * A share link: a URL anyone can download the object with until it expires (a Swift
 * temporary URL or an S3 presigned one, made by the server). Shown with a copy button;
 * picking another lifetime makes a new link.
 */
import { Clipboard } from '@jupyterlab/apputils';
import { closeIcon, copyIcon } from '@jupyterlab/ui-components';

import { errorMessage } from '../api';
import { button, el } from '../dom';
import * as api from './client';
import { Entry } from './client';
import { TOOL } from './tool';

const LIFETIMES: [number, string][] = [
  [3600, '1 hour'],
  [24 * 3600, '1 day'],
  [7 * 24 * 3600, '7 days'] // the server's most (MAX_SHARE_SECONDS)
];

export class ShareBox {
  readonly node = el('div', 'funicular-storage-link');

  constructor(private error: (text: string) => void) {
    this.node.hidden = true;
    this._url.readOnly = true;
    this._url.addEventListener('focus', () => this._url.select());
    for (const [seconds, label] of LIFETIMES) {
      const option = el('option', '', label);
      option.value = String(seconds);
      this._seconds.append(option);
    }
    this._seconds.value = String(24 * 3600);
    this._seconds.addEventListener('change', () => {
      if (this._entry) {
        void this.show(this._entry);
      }
    });
    const row = el('div', 'funicular-storage-link-row');
    row.append(
      this._url,
      button(
        'funicular-storage-button funicular-storage-copy',
        '',
        () => {
          Clipboard.copyToSystem(this._url.value);
          this._copied.textContent = 'Copied.';
        },
        { ...TOOL, title: 'Copy the link', icon: copyIcon }
      )
    );
    const head = el('div', 'funicular-storage-link-head');
    head.append(
      this._label,
      this._seconds,
      button('funicular-storage-button funicular-storage-link-close', '', () => this.hide(), {
        ...TOOL,
        title: 'Close',
        icon: closeIcon
      })
    );
    this.node.append(head, row, this._copied);
  }

  async show(entry: Entry): Promise<void> {
    this._entry = entry;
    this.node.hidden = false;
    this.node.dataset.url = entry.url;
    this._label.textContent = `Link to ${entry.name}, valid for `;
    this._url.value = '';
    this._copied.textContent = '';
    this.node.dataset.state = 'loading';
    try {
      this._url.value = await api.share(entry.url, Number(this._seconds.value));
      this.node.dataset.state = 'ready';
    } catch (e) {
      this.node.dataset.state = 'error';
      this.error(`Share ${entry.name}: ${errorMessage(e)}`);
    }
  }

  hide(): void {
    this._entry = null;
    this.node.hidden = true;
  }

  private _entry: Entry | null = null;
  private _label = el('span', 'funicular-storage-link-label');
  private _seconds = el('select', 'funicular-storage-share-seconds');
  private _url = el('input', 'funicular-storage-link-url');
  private _copied = el('span', 'funicular-storage-link-copied');
}
