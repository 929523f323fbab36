/**
 * Walking the user's stores: the stores the hub configured (swift, s3), their
 * containers, then objects and "folders" (key prefixes) with breadcrumbs and sizes.
 * The whole section is the drop zone for uploads into what it shows, or into the
 * folder or container row a drop lands on.
 */
import {
  deleteIcon,
  downloadIcon,
  fileIcon,
  fileUploadIcon,
  folderIcon,
  linkIcon,
  newFolderIcon,
  refreshIcon
} from '@jupyterlab/ui-components';

import { errorMessage } from '../api';
import { button, el } from '../dom';
import * as api from './client';
import { Entry } from './client';
import { askName, confirmDelete } from './dialogs';
import { draggable, dropZone } from './drop';
import * as loc from './locations';
import { TOOL } from './tool';

export interface IBrowseHost {
  error(text: string): void;
  info(text: string): void;
  download(entry: Entry): void;
  share(entry: Entry): void;
  uploadPaths(paths: string[], folderUrl: string): void;
  uploadFiles(files: File[], folderUrl: string): void;
  uploadSelected(folderUrl: string): void;
}

export class BrowseView {
  readonly node = el('section', 'funicular-storage-browse funicular-storage-dropzone');

  constructor(private host: IBrowseHost) {
    const toolbar = el('div', 'funicular-storage-toolbar');
    toolbar.append(
      button('funicular-storage-button funicular-storage-refresh', '', () => void this.refresh(), {
        ...TOOL,
        title: 'Refresh',
        icon: refreshIcon
      }),
      button(
        'funicular-storage-button funicular-storage-mkdir',
        'Container',
        () => void this._mkdir(),
        { ...TOOL, title: 'Create a container', icon: newFolderIcon }
      ),
      button(
        'funicular-storage-button funicular-storage-upload-selected',
        'Upload selected',
        () => this._whereTo(null, f => this.host.uploadSelected(f)),
        { ...TOOL, title: "Upload the file browser's selected files here", icon: fileUploadIcon }
      )
    );
    this._hint.textContent =
      'Drop files here from the file browser or your computer to upload them.';
    this.node.append(this._stores, toolbar, this._crumbs, this._listing, this._hint);
    this._undrop = dropZone(this.node, {
      paths: (paths, target) => this._whereTo(target, f => this.host.uploadPaths(paths, f)),
      files: (files, target) => this._whereTo(target, f => this.host.uploadFiles(files, f))
    });
  }

  /** Where the panel is: ``scheme://`` or a folder ending in "/". */
  get location(): string {
    return this._location;
  }

  async start(): Promise<void> {
    let schemes: string[];
    try {
      schemes = await api.stores();
    } catch (e) {
      this.host.error(`Object storage: ${errorMessage(e)}`);
      return;
    }
    if (!schemes.length) {
      this.host.error('No object store is configured for you here.');
      return;
    }
    for (const s of schemes) {
      const b = button(
        'funicular-storage-button funicular-store',
        s,
        () => void this.open(`${s}://`),
        { ...TOOL, title: `Your ${s} containers` }
      );
      b.dataset.url = `${s}://`;
      this._stores.append(b);
    }
    await this.open(`${schemes[0]}://`);
  }

  dispose(): void {
    this._undrop();
  }

  async open(location: string): Promise<void> {
    this._location = location;
    this.node.dataset.url = location;
    for (const b of Array.from(this._stores.children) as HTMLElement[]) {
      b.classList.toggle('funicular-mod-current', loc.scheme(location) === loc.scheme(b.dataset.url!));
    }
    this._renderCrumbs();
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const location = this._location;
    if (!location) {
      return;
    }
    const ticket = ++this._ticket; // a slow answer for a place left since is dropped
    this._listing.dataset.url = location;
    this._listing.dataset.state = 'loading';
    let entries: Entry[];
    try {
      entries = await api.ls(location);
    } catch (e) {
      if (ticket === this._ticket) {
        this._listing.dataset.state = 'error';
        this._listing.replaceChildren(el('div', 'funicular-storage-empty', errorMessage(e)));
        this.host.error(`${location}: ${errorMessage(e)}`);
      }
      return;
    }
    if (ticket !== this._ticket) {
      return;
    }
    this._listing.replaceChildren(...entries.map(e => this._row(e)));
    if (!entries.length) {
      this._listing.append(
        el(
          'div',
          'funicular-storage-empty',
          loc.container(location) ? 'Empty: drop files here.' : 'No containers yet.'
        )
      );
    }
    this._listing.dataset.state = 'ready';
  }

  private _renderCrumbs(): void {
    const parts = loc.crumbs(this._location);
    this._crumbs.replaceChildren();
    parts.forEach((c, i) => {
      if (i) {
        this._crumbs.append(el('span', 'funicular-storage-crumb-sep', '/'));
      }
      const a = el('button', 'funicular-storage-crumb', i ? c.label : `${c.label}://`);
      a.type = 'button';
      a.dataset.url = c.url;
      a.addEventListener('click', () => void this.open(c.url));
      this._crumbs.append(a);
    });
  }

  private _row(entry: Entry): HTMLElement {
    const isDir = entry.type === 'directory';
    const isContainer = isDir && !loc.container(this._location);
    const row = el('div', 'funicular-object');
    row.dataset.url = entry.url;
    row.dataset.type = entry.type;
    row.dataset.name = entry.name;
    if (isContainer) {
      row.dataset.kind = 'container';
    }
    const name = el('span', 'funicular-object-name', isDir ? `${entry.name}/` : entry.name);
    name.title = entry.url;
    if (isDir) {
      name.classList.add('funicular-mod-open');
      name.addEventListener('click', () => void this.open(loc.folder(entry.url)));
    }
    const size = el('span', 'funicular-object-size', isDir ? '' : loc.formatSize(entry.size));
    const actions = el('span', 'funicular-object-actions');
    if (!isDir) {
      actions.append(
        button(
          'funicular-storage-button funicular-storage-download',
          '',
          () => this.host.download(entry),
          { ...TOOL, title: "Download to the file browser's current folder", icon: downloadIcon }
        ),
        button(
          'funicular-storage-button funicular-storage-share',
          '',
          () => this.host.share(entry),
          { ...TOOL, title: 'Share a link to it', icon: linkIcon }
        )
      );
      draggable(row, entry);
    }
    if (!isDir || isContainer) {
      actions.append(
        button(
          'funicular-storage-button funicular-storage-rm',
          '',
          () => void this._rm(entry, isContainer),
          {
            ...TOOL,
            title: isDir ? 'Delete this container (it must be empty)' : 'Delete this object',
            icon: deleteIcon
          }
        )
      );
    }
    const icon = (isDir ? folderIcon : fileIcon).element({
      tag: 'span',
      className: 'funicular-object-icon'
    });
    row.append(icon, name, size, actions);
    return row;
  }

  /**
   * The folder an upload goes into: the folder or container row it was dropped on, else
   * the one shown; at a store's root there is none, and the user is told.
   */
  private _whereTo(target: Element | null, then: (folderUrl: string) => void): void {
    const row = target?.closest('.funicular-object[data-type=directory]') as HTMLElement | null;
    if (row?.dataset.url) {
      then(loc.folder(row.dataset.url));
    } else if (loc.container(this._location)) {
      then(this._location);
    } else {
      this.host.error('Open a container first (or drop onto one): uploads go into a container.');
    }
  }

  private async _mkdir(): Promise<void> {
    const s = loc.scheme(this._location);
    if (!s) {
      return;
    }
    const name = await askName(s);
    if (!name) {
      return;
    }
    const url = `${s}://${name}`;
    try {
      await api.mkdir(url);
    } catch (e) {
      this.host.error(`Create ${name}: ${errorMessage(e)}`);
      return;
    }
    this.host.info(`Created ${url}`);
    await this.open(loc.folder(url)); // where its first files are dropped
  }

  private async _rm(entry: Entry, isContainer: boolean): Promise<void> {
    if (!(await confirmDelete(entry, isContainer))) {
      return;
    }
    try {
      await api.rm(entry.url);
    } catch (e) {
      this.host.error(`Delete ${entry.name}: ${errorMessage(e)}`);
      return;
    }
    this.host.info(`Deleted ${entry.url}`);
    await this.refresh();
  }

  private _location = '';
  private _ticket = 0;
  private _stores = el('div', 'funicular-storage-stores');
  private _crumbs = el('nav', 'funicular-storage-crumbs');
  private _listing = el('div', 'funicular-storage-listing');
  private _hint = el('div', 'funicular-storage-hint');
  private _undrop: () => void;
}
