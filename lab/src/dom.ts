/**
 * The panels' DOM helpers. Text goes in as text only (``textContent``, or strings that
 * ``append`` makes text nodes), never as HTML: job names, commands, logs, object names,
 * URLs and error messages are the user's or a store's and may hold markup.
 */
import { LabIcon } from '@jupyterlab/ui-components';

/** An element; ``attrs`` is its class name, or its attributes (``class`` among them). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: string | Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(typeof attrs === 'string' ? { class: attrs } : attrs)) {
    if (key !== 'class') {
      node.setAttribute(key, value);
    } else if (value) {
      node.className = value;
    }
  }
  // no empty text node for '': the element stays :empty for the CSS
  node.append(...children.filter(child => child !== ''));
  return node;
}

/** Set text only when it changed: a re-render every few seconds must not churn. */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

export interface IButtonOptions {
  /** Tooltip and accessible name: an icon-only button has no text to be named by. */
  title?: string;
  icon?: LabIcon;
  /** Classes of the spans the icon and the label go in; without, the label is its text. */
  iconClass?: string;
  labelClass?: string;
  /** Keep its clicks from the rows and drop zone around it. */
  isolated?: boolean;
}

/**
 * A button (``type=button``: never a form's submit). ``className`` is all its classes:
 * each panel styles its own (the Jobs panel JupyterLab's ``jp-mod-styled``).
 */
export function button(
  className: string,
  label: string,
  onClick: () => void,
  options: IButtonOptions = {}
): HTMLButtonElement {
  const { title, icon, iconClass, labelClass, isolated } = options;
  const b = el('button', { type: 'button', class: className });
  if (title) {
    b.title = title;
    b.setAttribute('aria-label', title);
  }
  if (icon) {
    b.append(icon.element({ tag: 'span', className: iconClass ?? '' }));
  }
  if (label) {
    b.append(labelClass ? el('span', labelClass, label) : label);
  }
  b.addEventListener('click', event => {
    if (isolated) {
      event.stopPropagation();
    }
    onClick();
  });
  return b;
}
