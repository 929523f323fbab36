/**
 * The notebook server's own files as transfer ends. The file browser and the contents
 * API speak of paths relative to the server's root directory; the transfer service
 * takes absolute ``file://`` paths, resolved in the server's process (inside the
 * container: core/storage/location.py), so a relative path is joined to that root.
 * That root, as the server's process sees it, is server.ts ``serverRoot``.
 */
import { PathExt } from '@jupyterlab/coreutils';
import { Contents } from '@jupyterlab/services';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { serverRoot } from '../server';

export class LocalFiles {
  constructor(
    readonly contents: Contents.IManager,
    readonly browser: IDefaultFileBrowser | null
  ) {}

  /** The file browser's folder, relative to the root ("" for the root itself). */
  get currentDir(): string {
    return this.browser ? this.contents.localPath(this.browser.model.path) : '';
  }

  /**
   * ``file://`` URL of a server-relative path; ``folder`` ends it in "/", which makes
   * a transfer keep the source's name. Paths of another drive than the server's own
   * (a collaborative or remote drive) are not files the transfer service can read.
   */
  async url(path: string, folder = false): Promise<string> {
    if (this.contents.driveName(path)) {
      throw new Error(`${path} is not on the server's own disk`);
    }
    const root = await serverRoot();
    const local = this.contents.localPath(path).replace(/^\/+|\/+$/g, '');
    let abs = local ? PathExt.normalize(`${root}/${local}`) : root;
    if (!abs.startsWith('/')) {
      abs = '/' + abs;
    }
    if (folder && !abs.endsWith('/')) {
      abs += '/';
    }
    return `file://${abs}`;
  }
}
