/**
 * Object storage beside the file browser. In JupyterLab the panel goes to the *right*
 * side bar: the left one shows one panel at a time, and files are dragged between the
 * file browser and this panel, so both must be visible at once. In Notebook 7 the
 * file browser is the tree page itself, and the panel takes the left side panel. An
 * area a shell does not have falls back to the other side.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { storageIcon } from '../icons';
import { addSidePanel } from '../shell';
import { PANEL_ID, StoragePanel } from './panel';

const OPEN = 'funicular:open-storage';

export const storagePlugin: JupyterFrontEndPlugin<void> = {
  id: '@funicular/lab:storage',
  description: 'Object storage (Swift, S3) beside the file browser, with live transfers.',
  autoStart: true,
  optional: [IDefaultFileBrowser, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const panel = new StoragePanel(app.serviceManager.contents, browser);
    addSidePanel(app, panel, app.name === 'JupyterLab' ? 'right' : 'left', 300);
    restorer?.add(panel, PANEL_ID);

    app.commands.addCommand(OPEN, {
      label: 'Open Object Storage',
      caption: 'Containers and buckets, uploads, downloads and share links',
      icon: storageIcon,
      execute: () => app.shell.activateById(PANEL_ID)
    });
    palette?.addItem({ command: OPEN, category: 'Funicular' });
  }
};
