import { Widget } from '@lumino/widgets';

import { TrackingStatus } from '../api/activity';
import { inTrouble, statusDetails, statusText } from './statusText';

/**
 * The status-bar item: `MLflow: <store kind> · <run> · <n> pending · <n> spooled`,
 * red with the error in its tooltip when the store is down or a write failed.
 */
export class StatusItem extends Widget {
  constructor(onClick: () => void) {
    super();
    this.addClass('jp-MLOps-statusItem');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.textContent = 'MLflow: …';
    this.node.title = 'MLflow tracking status (loading)';
    this.node.addEventListener('click', onClick);
    this.node.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        onClick();
      }
    });
  }

  /** Show `status` (null: it could not be read, with `error`). */
  display(status: TrackingStatus | null, error?: string): void {
    if (status === null) {
      this.node.textContent = 'MLflow: status unavailable';
      this.node.title = error ?? 'The tracking status could not be read';
      this.node.classList.add('jp-mod-error');
      return;
    }
    this.node.textContent = statusText(status);
    this.node.title = statusDetails(status).join('\n');
    this.node.classList.toggle('jp-mod-error', inTrouble(status));
  }
}
