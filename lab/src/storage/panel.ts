/**
 * The "Object storage" side panel: stores and their contents (browse.ts), a share
 * link (share.ts), the transfers (transfers.ts), and what ties them to the notebook
 * server's files: uploads from the file browser or the desktop, downloads into the
 * file browser's folder. Messages and errors are shown here, in words from the server.
 */
import { Contents } from '@jupyterlab/services';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { Message } from '@lumino/messaging';
import { closeIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { errorMessage } from '../api';
import { button, el } from '../dom';
import { storageIcon } from '../icons';
import { BrowseView } from './browse';
import * as api from './client';
import { Entry, TransferRecord } from './client';
import { fileBrowserTarget } from './drop';
import { LocalFiles } from './local';
import * as loc from './locations';
import { ShareBox } from './share';
import { TOOL } from './tool';
import { TransfersView } from './transfers';

export const PANEL_ID = 'funicular-storage';

export class StoragePanel extends Widget {
  constructor(contents: Contents.IManager, browser: IDefaultFileBrowser | null) {
    super();
    this.id = PANEL_ID;
    this.addClass('funicular-storage-panel');
    this.title.icon = storageIcon;
    this.title.caption = 'Object storage';
    this._local = new LocalFiles(contents, browser);
    this._browser = browser;

    const head = el('header', 'funicular-storage-header');
    head.append(el('h2', 'funicular-storage-title', 'Object storage'));
    this._error.setAttribute('role', 'alert');
    this._error.hidden = true;
    this._error.append(
      this._errorText,
      button(
        'funicular-storage-button funicular-storage-error-close',
        '',
        () => (this._error.hidden = true),
        { ...TOOL, title: 'Dismiss', icon: closeIcon }
      )
    );
    this._info.setAttribute('role', 'status');
    this.node.append(
      head,
      this._error,
      this._info,
      this._share.node,
      this._browse.node,
      this._transfers.node
    );
    if (browser) {
      this._undrop = fileBrowserTarget(browser, (entries, dir) => void this._downloadTo(entries, dir));
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._undrop?.();
    this._browse.dispose();
    this._transfers.dispose();
    super.dispose();
  }

  /** Talks to the server only once shown: a closed panel costs nothing. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._started) {
      this._started = true;
      void this._browse.start();
      this._transfers.start();
    }
  }

  // ------------------------------------------------------------------ messages
  /** Shown until dismissed; the last few stay, so one failure does not hide another. */
  error(text: string): void {
    const lines = this._error.hidden ? [] : [...this._errorText.children];
    if (lines.some(line => line.textContent === text)) {
      return;
    }
    this._errorText.replaceChildren(
      ...lines.slice(-2),
      el('div', 'funicular-storage-error-line', text)
    );
    this._error.hidden = false;
  }

  info(text: string): void {
    this._info.textContent = text;
  }

  // ------------------------------------------------------------------ uploads
  /** Files of the server (paths relative to its root) into a store folder. */
  async uploadPaths(paths: string[], folderUrl: string): Promise<void> {
    for (const path of paths) {
      const name = loc.basename(path);
      try {
        const model = await this._local.contents.get(path, { content: false });
        if (model.type === 'directory') {
          this.error(`${name} is a folder: select the files in it to upload them.`);
          continue;
        }
        this._submitted(await api.submit(await this._local.url(path), folderUrl));
        this.info(`Uploading ${name} to ${folderUrl}`);
      } catch (e) {
        this.error(`Upload ${name}: ${errorMessage(e)}`);
      }
    }
  }

  /**
   * Files from the desktop: the server's transfer service reads only its own files,
   * so each is saved into the file browser's folder first (the browser's own upload,
   * in chunks for a big file), then sent from there.
   */
  async uploadFiles(files: File[], folderUrl: string): Promise<void> {
    for (const file of files) {
      let path: string;
      try {
        this.info(`Saving ${file.name} into ${this._local.currentDir || 'the home folder'}…`);
        path = this._browser
          ? (await this._browser.model.upload(file)).path
          : await this._saveAtRoot(file);
      } catch (e) {
        this.error(`Upload ${file.name}: ${errorMessage(e)}`);
        continue;
      }
      await this.uploadPaths([path], folderUrl);
    }
  }

  uploadSelected(folderUrl: string): void {
    if (!this._browser) {
      this.error('There is no file browser here to select files in.');
      return;
    }
    const paths = [...this._browser.selectedItems()]
      .filter(item => item.type !== 'directory')
      .map(item => item.path);
    if (!paths.length) {
      this.error('Select one or more files in the file browser first.');
      return;
    }
    void this.uploadPaths(paths, folderUrl);
  }

  private async _saveAtRoot(file: File): Promise<string> {
    const content = await new Promise<string>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(',', 2)[1] ?? '');
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
    const model = await this._local.contents.save(file.name, {
      type: 'file',
      format: 'base64',
      content
    });
    return model.path;
  }

  // ------------------------------------------------------------------ downloads
  download(entry: Entry): void {
    void this._downloadTo([entry], this._local.currentDir);
  }

  /** Objects into a folder of the server (relative to its root), keeping their names. */
  private async _downloadTo(entries: Entry[], dir: string): Promise<void> {
    for (const entry of entries) {
      if (entry.type !== 'file') {
        this.error(`${entry.name} is a folder: download the objects in it.`);
        continue;
      }
      try {
        const dst = await this._local.url(dir, true);
        this._submitted(await api.submit(entry.url, dst));
        this.info(`Downloading ${entry.name} into ${dir || 'the home folder'}`);
      } catch (e) {
        this.error(`Download ${entry.name}: ${errorMessage(e)}`);
      }
    }
  }

  share(entry: Entry): void {
    void this._share.show(entry);
  }

  // ------------------------------------------------------------------ transfers
  private _submitted(record: TransferRecord): void {
    this._transfers.upsert(record);
  }

  /** A transfer ended: show its result where it landed. */
  ended(record: TransferRecord): void {
    if (record.state === 'cancelled') {
      this.info(`Cancelled the transfer of ${loc.basename(record.src)}`);
      return;
    }
    if (record.state !== 'done') {
      this.error(`Transfer of ${loc.basename(record.src)} ${record.state}: ${record.error}`);
      return;
    }
    if (loc.inFolder(record.dst, this._browse.location)) {
      void this._browse.refresh();
    }
    if (record.dst.startsWith('file://') && this._browser) {
      void this._browser.model.refresh();
    }
  }

  private _local: LocalFiles;
  private _browser: IDefaultFileBrowser | null;
  private _started = false;
  private _undrop: (() => void) | null = null;
  private _error = el('div', 'funicular-storage-error');
  private _errorText = el('div', 'funicular-storage-error-text');
  private _info = el('div', 'funicular-storage-info');
  private _share = new ShareBox(text => this.error(text));
  private _browse = new BrowseView(this);
  private _transfers = new TransfersView(this);
}
