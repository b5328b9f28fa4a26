import { LabIcon } from '@jupyterlab/ui-components';

const MLOPS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M6.6 15.3l4.6-5.6 3.4 2.8 4.6-6.3 1.6 1.2-5.8 7.9-3.4-2.8-3.4 4.1z"/>
    <circle cx="11.2" cy="9.7" r="1.9"/>
    <circle cx="14.6" cy="12.5" r="1.9"/>
    <circle cx="19.2" cy="6.2" r="1.9"/>
  </g>
</svg>`;

/**
 * The MLOps icon: a rising metric curve through tracked runs.
 */
export const mlopsIcon = new LabIcon({
  name: 'mlops-jupyter:mlops',
  svgstr: MLOPS_SVG
});
