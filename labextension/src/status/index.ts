import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IStatusBar } from '@jupyterlab/statusbar';

import { getStatus, TrackingStatus } from '../api/activity';
import { CommandIDs } from '../commands';
import { setMlflowUiBase } from '../mlflowUi';
import { startEventPoller } from './notifications';
import { StatusItem } from './StatusItem';
import { inTrouble, statusDetails } from './statusText';

const STATUS_PLUGIN_ID = 'mlops-jupyter:status';
/** Seconds between two looks at `status` while the page is visible. */
const STATUS_INTERVAL_MS = 5000;

/**
 * Tracking status in the status bar, JupyterLab notifications for outcomes
 * (pipelines, jobs, promotions, drift alerts), and the MLflow UI command.
 */
export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: STATUS_PLUGIN_ID,
  description:
    'MLflow tracking status in the status bar, notifications of MLOps outcomes, the MLflow UI.',
  autoStart: true,
  optional: [IStatusBar, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ) => {
    let status: TrackingStatus | null = null;
    let uiUrl: string | null = null;

    const learn = (next: TrackingStatus) => {
      status = next;
      uiUrl = next.mlflow_ui.url;
      setMlflowUiBase(uiUrl);
    };

    app.commands.addCommand(CommandIDs.openMlflowUi, {
      label: 'Open MLflow UI',
      caption: 'The MLflow UI of this tracking store, in a new browser tab',
      isEnabled: () => status === null || uiUrl !== null,
      execute: async args => {
        if (status === null) {
          learn(await getStatus());
        }
        if (!uiUrl) {
          Notification.warning('No MLflow UI is available for this store');
          return;
        }
        const path = typeof args.path === 'string' ? args.path : '';
        const base = uiUrl.endsWith('/') ? uiUrl : `${uiUrl}/`;
        const opened = window.open(
          `${base}${path.replace(/^\/+/, '')}`,
          '_blank'
        );
        if (opened) {
          opened.opener = null; // the UI gets no handle on this page
        }
      }
    });
    palette?.addItem({ command: CommandIDs.openMlflowUi, category: 'MLOps' });

    const showDetails = () => {
      if (status === null) {
        return;
      }
      const actions: Notification.IAction[] = [];
      if (uiUrl) {
        actions.push({
          label: 'Open MLflow UI',
          callback: () => void app.commands.execute(CommandIDs.openMlflowUi),
          displayType: 'accent'
        });
      }
      const runId = status.sessions[0]?.run_id;
      if (runId && app.commands.hasCommand(CommandIDs.openRun)) {
        actions.push({
          label: 'Open session run',
          callback: () =>
            void app.commands.execute(CommandIDs.openRun, { runId })
        });
      }
      const lines = statusDetails(status);
      const text = lines.join(' — ').slice(0, 139);
      const options = { autoClose: 10_000, actions };
      if (inTrouble(status)) {
        Notification.error(text, options);
      } else {
        Notification.info(text, options);
      }
    };

    const item = statusBar ? new StatusItem(showDetails) : null;
    if (statusBar && item) {
      statusBar.registerStatusItem(STATUS_PLUGIN_ID, {
        item,
        align: 'left',
        rank: 50
      });
    }

    const refresh = async () => {
      if (document.visibilityState === 'visible') {
        try {
          learn(await getStatus());
          item?.display(status);
        } catch (reason) {
          item?.display(null, String((reason as Error).message ?? reason));
        }
      }
      window.setTimeout(refresh, STATUS_INTERVAL_MS);
    };
    void app.restored.then(() => {
      void refresh();
      startEventPoller(app, () => uiUrl !== null);
    });
  }
};
