/**
 * Store locations as the panel walks them. A place the panel shows is ``scheme://``
 * (the store's containers) or a folder ending in "/": ``swift://container/`` or
 * ``swift://container/a/b/``. The server gives a copy into such a place the source's
 * name (core/storage/transfer.py ``plan``), so uploads never build object keys here.
 */

export interface Crumb {
  label: string;
  url: string;
}

export function scheme(location: string): string {
  return location.split('://', 1)[0];
}

/** The container part (empty at the store's root). */
export function container(location: string): string {
  const rest = location.slice(scheme(location).length + 3);
  return rest.split('/', 1)[0];
}

/** The folder a directory entry (container or prefix) opens as. */
export function folder(entryUrl: string): string {
  return entryUrl.endsWith('/') ? entryUrl : entryUrl + '/';
}

export function crumbs(location: string): Crumb[] {
  const s = scheme(location);
  const out: Crumb[] = [{ label: s, url: `${s}://` }];
  const parts = location.slice(s.length + 3).split('/').filter(Boolean);
  let at = `${s}://`;
  for (const part of parts) {
    at += part + '/';
    out.push({ label: part, url: at });
  }
  return out;
}

export function parent(location: string): string {
  const c = crumbs(location);
  return c.length > 1 ? c[c.length - 2].url : location;
}

/** Whether ``url`` (an object's) lies directly in the folder ``location``. */
export function inFolder(url: string, location: string): boolean {
  if (!url.startsWith(location)) {
    return false;
  }
  return !url.slice(location.length).includes('/');
}

/** Decimal units, as the StorageBrowser widget shows them. */
export function formatSize(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** The last path segment of any URL or path: what a row calls a transfer's end. */
export function basename(location: string): string {
  const trimmed = location.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || location;
}
