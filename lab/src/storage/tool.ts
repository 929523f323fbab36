import { IButtonOptions } from '../dom';

/**
 * How the storage panel's buttons are made (``funicular-storage-button`` and these
 * classes are its CSS's): an icon and a label in spans of their own, and clicks that
 * stay in the button, out of the object rows and the drop zone around it.
 */
export const TOOL: IButtonOptions = {
  iconClass: 'funicular-storage-button-icon',
  labelClass: 'funicular-storage-button-label',
  isolated: true
};
