/**
 * The session plugin: the status item, and the walltime notifications with "Save
 * all" and the end time. ``warningMinutes`` is a setting (a site sets its default in
 * JupyterLab's overrides.json); the signal notice comes from Slurm's own warning
 * (``--signal``), which the spawner asks for ahead of the end.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';

import type { IServerInfo } from '../server';
import { formatEnd } from './model';
import { SessionStatus } from './status';

const PLUGIN_ID = '@funicular/lab:session';
const SAVE_ALL = 'docmanager:save-all';

export const sessionPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "The session's Slurm job, node and time left; a notice before the walltime",
  autoStart: true,
  optional: [IStatusBar, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    settings: ISettingRegistry | null
  ) => {
    let warningMinutes = 15;
    if (settings) {
      void settings.load(PLUGIN_ID).then(s => {
        const read = () => {
          warningMinutes = s.get('warningMinutes').composite as number;
        };
        read();
        s.changed.connect(read);
      });
    }
    const saveAll = () => {
      if (app.commands.hasCommand(SAVE_ALL)) {
        void app.commands.execute(SAVE_ALL);
      }
    };
    const actions = [{ label: 'Save all', callback: saveAll, displayType: 'accent' as const }];
    const notices = {
      ahead(info: IServerInfo, left: number) {
        const minutes = Math.max(1, Math.round(left / 60));
        Notification.warning(
          `Your session (Slurm job ${info.slurm_job_id}) ends at ${formatEnd(
            info.job_end_time!
          )}, in ${minutes} minute${minutes === 1 ? '' : 's'}. Save your work.`,
          { autoClose: false, actions }
        );
      },
      signal(info: IServerInfo) {
        const end = info.job_end_time === null ? 'soon' : `at ${formatEnd(info.job_end_time)}`;
        Notification.warning(
          `Slurm's walltime signal arrived: job ${info.slurm_job_id} ends ${end}. Save your work now.`,
          { autoClose: false, actions }
        );
      }
    };
    const status = new SessionStatus(notices, () => warningMinutes);
    if (statusBar) {
      statusBar.registerStatusItem(PLUGIN_ID, { item: status, align: 'left', rank: 100 });
    } else {
      // Notebook 7 has no status bar: its top bar has room for one line
      app.shell.add(status, 'top', { rank: 1000 });
    }
    status.start();
  }
};
