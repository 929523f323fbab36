/** The extension's icons: 16 px on a 24-unit grid, ``jp-icon3`` so the theme colours them. */
import { LabIcon } from '@jupyterlab/ui-components';

function icon(name: string, shapes: string): LabIcon {
  const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">${shapes}</g>
</svg>`;
  return new LabIcon({ name, svgstr });
}

/** A queue of three jobs and a "run" arrow. */
export const jobsIcon = icon(
  'funicular:jobs',
  `<rect x="2" y="4" width="14" height="3.5" rx="1"/>
    <rect x="2" y="10.25" width="14" height="3.5" rx="1"/>
    <rect x="2" y="16.5" width="14" height="3.5" rx="1"/>
    <path d="M18 8.5 23 12l-5 3.5z"/>`
);

/** A stack of disks: storage. */
export const storageIcon = icon(
  'funicular:storage',
  '<path d="M12 2C7 2 3 3.6 3 5.5v13C3 20.4 7 22 12 22s9-1.6 9-3.5v-13C21 3.6 17 2 12 2zm0 2c4.4 0 7 1.2 7 1.5S16.4 7 12 7 5 5.8 5 5.5 7.6 4 12 4zM5 8.1C6.7 8.7 9.2 9 12 9s5.3-.3 7-.9v3.4c0 .3-2.6 1.5-7 1.5s-7-1.2-7-1.5V8.1zm0 6.5c1.7.6 4.2.9 7 .9s5.3-.3 7-.9v3.9c0 .3-2.6 1.5-7 1.5s-7-1.2-7-1.5v-3.9z"/>'
);
