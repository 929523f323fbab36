import { JupyterFrontEnd } from '@jupyterlab/application';
import { Widget } from '@lumino/widgets';

export type Side = 'left' | 'right';

/** Add a side panel to ``first``, or to the other side in a shell without that area. */
export function addSidePanel(
  app: JupyterFrontEnd,
  panel: Widget,
  first: Side,
  rank: number
): Side {
  try {
    app.shell.add(panel, first, { rank });
    return first;
  } catch {
    const other = first === 'left' ? 'right' : 'left';
    app.shell.add(panel, other, { rank });
    return other;
  }
}
