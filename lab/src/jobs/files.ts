/**
 * Where a job's directory is for JupyterLab's file browser and document manager.
 * The API names it relative to the server's home (``JobRecord.dir``); JupyterLab's
 * paths are relative to the server's root directory, which is the home unless the
 * site chose otherwise. So: the home's path under the root, checked once against
 * the contents API; a directory outside the root cannot be opened in JupyterLab.
 */
import { Contents } from '@jupyterlab/services';

import { serverPlaces, serverRoot, within } from '../server';

/** The home's path under the root ("" when it is the root), or null outside it. */
async function homeInRoot(): Promise<string | null> {
  const [root, { home }] = await Promise.all([serverRoot(), serverPlaces()]);
  return home ? within(root, home.replace(/\/+$/, '')) : null;
}

export class JobFiles {
  constructor(private readonly contents: Contents.IManager) {}

  /** ``dir`` (relative to the home) as a contents path, or null if JupyterLab cannot reach it. */
  async contentsPath(dir: string): Promise<string | null> {
    if (!this.cache.has(dir)) {
      this.cache.set(
        dir,
        this.resolve(dir).catch(() => null)
      );
    }
    const found = await this.cache.get(dir)!;
    if (found === null) {
      this.cache.delete(dir); // not there yet, perhaps: look again next time
    }
    return found;
  }

  private async resolve(dir: string): Promise<string | null> {
    const candidates: string[] = [];
    const homeRel = await homeInRoot().catch(() => null);
    if (homeRel !== null) {
      candidates.push(homeRel ? `${homeRel}/${dir}` : dir);
    }
    if (!candidates.includes(dir)) {
      candidates.push(dir); // the usual case: the root is the home
    }
    for (const path of candidates) {
      try {
        const model = await this.contents.get(path, { content: false });
        if (model.type === 'directory') {
          return path;
        }
      } catch {
        // not there: the next one
      }
    }
    return null;
  }

  private readonly cache = new Map<string, Promise<string | null>>();
}
