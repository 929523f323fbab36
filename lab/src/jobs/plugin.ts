/**
 * The Jobs panel in the left area (JupyterLab 4 and Notebook 7; the right one if a
 * shell has no left), and ``funicular:open-jobs`` in the command palette, the way to
 * it in either.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { jobsIcon } from '../icons';
import { addSidePanel } from '../shell';
import { JobFiles } from './files';
import { JobsPanel, PANEL_ID } from './panel';

export const OPEN_JOBS = 'funicular:open-jobs';
const OPEN_FILE = 'docmanager:open';

export const jobsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funicular/lab:jobs',
  description: "The user's follow-on jobs: live list, logs, cancel, outputs, a New job form",
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const panel = new JobsPanel({
      files: new JobFiles(app.serviceManager.contents),
      open: path => {
        if (app.commands.hasCommand(OPEN_FILE)) {
          void app.commands.execute(OPEN_FILE, { path });
        }
      }
    });
    const area = addSidePanel(app, panel, 'left', 600);
    restorer?.add(panel, PANEL_ID);
    app.commands.addCommand(OPEN_JOBS, {
      // Notebook 7 lists side panels as "Show <caption>" itself: another label here
      label: 'Open the Jobs panel',
      caption: 'Your follow-on Slurm jobs: list, logs, New job',
      icon: jobsIcon,
      execute: () => {
        app.shell.activateById(PANEL_ID);
        if (!panel.isVisible) {
          // a Notebook 7 shell whose activateById looks in the main area only
          const shell = app.shell as unknown as Record<string, unknown>;
          const expand = shell[area === 'left' ? 'expandLeft' : 'expandRight'];
          if (typeof expand === 'function') {
            expand.call(app.shell, PANEL_ID);
          }
        }
      }
    });
    palette?.addItem({ command: OPEN_JOBS, category: 'Funicular' });
  }
};
