/** The storage panel's questions: a new container's name, and whether to delete. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { el } from '../dom';
import { Entry } from './client';

/** A new container's (an S3 bucket's) name in store ``scheme``; '' if none was given. */
export async function askName(scheme: string): Promise<string> {
  const body = new NameInput(
    scheme === 's3'
      ? 'bucket name: 3-63 of a-z 0-9 . -'
      : 'container name: letters, digits, . _ -'
  );
  const result = await showDialog({
    title: `New ${scheme} ${scheme === 's3' ? 'bucket' : 'container'}`,
    body,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })],
    focusNodeSelector: 'input'
  });
  const name = (result.value ?? '').trim();
  return result.button.accept ? name : '';
}

/** Whether the user deletes ``entry`` (an object, or a container that must be empty). */
export async function confirmDelete(entry: Entry, isContainer: boolean): Promise<boolean> {
  const what = isContainer ? 'container' : 'object';
  const body = el('div', 'funicular-storage-confirm');
  body.append(
    el('span', '', `Delete the ${what} `),
    el('code', '', entry.url),
    el('span', '', isContainer ? '? It must be empty.' : '? This cannot be undone.')
  );
  const result = await showDialog({
    title: `Delete ${what}`,
    body: new Widget({ node: body }),
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  return result.button.accept;
}

/** The dialog body that asks for a name; Dialog reads ``getValue``. */
class NameInput extends Widget {
  constructor(placeholder: string) {
    super({ node: el('div', 'funicular-storage-mkdir-body') });
    this._input.placeholder = placeholder;
    this._input.spellcheck = false;
    this.node.append(this._input);
  }

  getValue(): string {
    return this._input.value;
  }

  private _input = el('input', 'jp-mod-styled funicular-storage-mkdir-name');
}
