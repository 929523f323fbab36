/**
 * Funicular in JupyterLab 4 and Notebook 7: the session's Slurm job and its time
 * left (``session/``), the user's follow-on jobs (``jobs/``) and object storage
 * (``storage/``). Every part talks only to the server extension's REST API and
 * change streams (``api.ts``, ``routes.ts``); what the parts share sits beside those
 * (``dom.ts``, ``icons.ts``, ``server.ts``, ``shell.ts``, ``format.ts``).
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { jobsPlugin } from './jobs/plugin';
import { sessionPlugin } from './session/plugin';
import { storagePlugin } from './storage/plugin';

const plugins: JupyterFrontEndPlugin<any>[] = [sessionPlugin, jobsPlugin, storagePlugin];
export default plugins;
