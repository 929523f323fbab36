/**
 * Drag and drop between JupyterLab's file browser, the user's desktop and the panel.
 *
 * Two kinds of drag reach the panel. The file browser's is a Lumino drag, not an HTML5
 * one: ``lm-dragenter`` / ``lm-dragover`` / ``lm-drop`` events whose mime data holds,
 * under ``application/x-jupyter-icontents``, the dragged paths relative to the server's
 * root (@jupyterlab/filebrowser listing.ts ``_startDrag``). A drag from the desktop is
 * HTML5, with ``dataTransfer.files``. A target accepts a Lumino drag by cancelling its
 * ``lm-dragenter`` and then each ``lm-dragover`` (setting ``dropAction``).
 *
 * The other way, an object dragged out of the panel is a Lumino drag of our own mime
 * type; the file browser knows nothing of it, so the panel listens on the browser's
 * node in the capture phase, before its listing (which would take any drop for a
 * move of its own files), and only for that type.
 */
import { Drag } from '@lumino/dragdrop';
import { MimeData } from '@lumino/coreutils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { PathExt } from '@jupyterlab/coreutils';

import { el } from '../dom';
import { Entry } from './client';

export const CONTENTS_MIME = 'application/x-jupyter-icontents';
export const OBJECT_MIME = 'application/x-funicular-storage-object';
const DRAG_THRESHOLD = 5; // pixels, as JupyterLab's own drags
const OVER = 'funicular-mod-dragover';

export interface IDropHandlers {
  /** Server-relative paths from the file browser, dropped on ``target``. */
  paths(paths: string[], target: Element): void;
  /** Files from the desktop, dropped on ``target``. */
  files(files: File[], target: Element): void;
}

/** Make ``zone`` take both kinds of drag; returns a function that undoes it. */
export function dropZone(zone: HTMLElement, on: IDropHandlers): () => void {
  const lumino = luminoDrops(zone, CONTENTS_MIME, (paths, target) => {
    if (Array.isArray(paths) && paths.length) {
      on.paths(paths.map(String), target);
    }
  });
  const native = (event: Event) => {
    const e = event as DragEvent;
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) {
      return;
    }
    e.preventDefault(); // else the browser opens the file in place of JupyterLab
    e.stopPropagation();
    if (e.type === 'dragleave') {
      if (!zone.contains(e.relatedTarget as Node | null)) {
        zone.classList.remove(OVER);
      }
    } else if (e.type === 'drop') {
      zone.classList.remove(OVER);
      const files = Array.from(e.dataTransfer.files);
      if (files.length) {
        on.files(files, e.target as Element);
      }
    } else {
      zone.classList.add(OVER);
      e.dataTransfer.dropEffect = 'copy';
    }
  };
  const luminoTypes = ['lm-dragenter', 'lm-dragleave', 'lm-dragover', 'lm-drop'];
  const nativeTypes = ['dragenter', 'dragover', 'dragleave', 'drop'];
  luminoTypes.forEach(t => zone.addEventListener(t, lumino));
  nativeTypes.forEach(t => zone.addEventListener(t, native));
  return () => {
    luminoTypes.forEach(t => zone.removeEventListener(t, lumino));
    nativeTypes.forEach(t => zone.removeEventListener(t, native));
  };
}

/**
 * Let an object's row be dragged (a press and a move past the threshold, as Lumino
 * drags start) with its entry as ``OBJECT_MIME`` data. Presses on buttons are clicks.
 */
export function draggable(row: HTMLElement, entry: Entry): void {
  row.addEventListener('mousedown', press => {
    if (press.button !== 0 || (press.target as Element).closest('button')) {
      return;
    }
    press.preventDefault(); // no text selection across the panel while dragging
    const move = (event: MouseEvent) => {
      if (
        Math.abs(event.clientX - press.clientX) < DRAG_THRESHOLD &&
        Math.abs(event.clientY - press.clientY) < DRAG_THRESHOLD
      ) {
        return;
      }
      stop();
      const mimeData = new MimeData();
      mimeData.setData(OBJECT_MIME, [entry]);
      const image = el('div', 'funicular-storage-drag-image', entry.name);
      const drag = new Drag({
        mimeData,
        dragImage: image,
        proposedAction: 'copy',
        supportedActions: 'copy',
        source: row
      });
      void drag.start(event.clientX, event.clientY);
    };
    const stop = () => {
      document.removeEventListener('mousemove', move, true);
      document.removeEventListener('mouseup', stop, true);
    };
    document.addEventListener('mousemove', move, true);
    document.addEventListener('mouseup', stop, true);
  });
}

/**
 * Take drops of objects on the file browser: into the folder item under the pointer,
 * else into the folder it shows. ``drop`` gets the entries and that server-relative
 * folder. Returns a function that undoes it.
 */
export function fileBrowserTarget(
  browser: IDefaultFileBrowser,
  drop: (entries: Entry[], dir: string) => void
): () => void {
  const node = browser.node;
  const handler = luminoDrops(node, OBJECT_MIME, (entries, target) =>
    drop(entries as Entry[], folderUnder(browser, target))
  );
  const types = ['lm-dragenter', 'lm-dragleave', 'lm-dragover', 'lm-drop'];
  types.forEach(t => node.addEventListener(t, handler, true));
  return () => types.forEach(t => node.removeEventListener(t, handler, true));
}

/**
 * A listener for Lumino's drag events that carry ``mime``: ``node`` is highlighted
 * while one is over it, a drop copies (the source keeps its own) and hands the data
 * and the element dropped on to ``onDrop``. Other drags pass through untouched.
 */
function luminoDrops(
  node: HTMLElement,
  mime: string,
  onDrop: (data: unknown, target: Element) => void
): (event: Event) => void {
  return (event: Event) => {
    const e = event as Drag.Event;
    if (!e.mimeData?.hasData(mime)) {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    switch (e.type) {
      case 'lm-dragenter':
        node.classList.add(OVER);
        break;
      case 'lm-dragleave':
        if (!node.contains(e.relatedTarget as Node | null)) {
          node.classList.remove(OVER);
        }
        break;
      case 'lm-dragover':
        e.dropAction = e.proposedAction; // the browser offers 'move': we copy
        break;
      case 'lm-drop':
        node.classList.remove(OVER);
        e.dropAction = e.proposedAction;
        onDrop(e.mimeData.getData(mime), e.target as Element);
        break;
    }
  };
}

/** The folder a drop on ``target`` in the file browser means. */
function folderUnder(browser: IDefaultFileBrowser, target: Element | null): string {
  const here = browser.model.path;
  const item = target?.closest('.jp-DirListing-item');
  if (item && item.getAttribute('data-isdir') === 'true') {
    const name = item.querySelector('.jp-DirListing-itemText')?.textContent?.trim();
    if (name) {
      return PathExt.join(here, name);
    }
  }
  return here;
}
