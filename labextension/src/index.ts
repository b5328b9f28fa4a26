import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { refreshIcon } from '@jupyterlab/ui-components';

import { CommandIDs } from './commands';
import { registerComparison } from './compare';
import { mlopsIcon } from './icons';
import { RunViewWidget } from './runs/RunView';
import { DashboardsSection } from './sidebar/DashboardsSection';
import { DeploymentsSection } from './sidebar/deployments/DeploymentsSection';
import { ModelsSection } from './sidebar/models/ModelsSection';
import { MonitoringSection } from './sidebar/MonitoringSection';
import { DEFAULT_SETTINGS, MLOpsPanel } from './sidebar/Panel';
import { PipelinesSection } from './sidebar/pipelines/PipelinesSection';
import { RunsSection } from './sidebar/runs/RunsSection';
import { SchedulesSection } from './sidebar/schedules/SchedulesSection';
import { statusPlugin } from './status';
import { notebookPath, openFile } from './sidebar/workspace';

const PLUGIN_ID = 'mlops-jupyter:sidebar';
const SIDEBAR_ID = 'mlops-jupyter-sidebar';
const PALETTE_CATEGORY = 'MLOps';

/**
 * The MLOps sidebar in the left area, with its commands and settings.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A left sidebar showing tracked MLflow experiments and runs.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    labShell: ILabShell | null
  ) => {
    const panel = new MLOpsPanel(
      [
        { id: 'runs', title: 'Runs', component: RunsSection },
        { id: 'pipelines', title: 'Pipelines', component: PipelinesSection },
        { id: 'schedules', title: 'Schedules', component: SchedulesSection },
        { id: 'models', title: 'Models', component: ModelsSection },
        {
          id: 'deployments',
          title: 'Deployments',
          component: DeploymentsSection
        },
        { id: 'monitoring', title: 'Monitoring', component: MonitoringSection },
        { id: 'dashboards', title: 'Dashboards', component: DashboardsSection }
      ],
      {
        openFile: path => void openFile(app, path),
        openRun: runId =>
          void app.commands.execute(CommandIDs.openRun, { runId }),
        compareRuns: runIds =>
          void app.commands.execute(CommandIDs.compareRuns, { runIds }),
        diffRuns: (runA, runB) =>
          void app.commands.execute(CommandIDs.diffRuns, { runA, runB })
      }
    );
    panel.id = SIDEBAR_ID;
    panel.title.icon = mlopsIcon;
    panel.title.caption = 'MLOps';
    app.shell.add(panel, 'left', { rank: 650 });

    // The notebook in the main area, for "Create pipeline from this notebook". Read
    // from the document widget's context: @jupyterlab/notebook (INotebookTracker)
    // cannot be installed from the package registry mirror available here.
    if (labShell) {
      const follow = () => {
        panel.currentNotebook = notebookPath(labShell.currentWidget);
      };
      labShell.currentChanged.connect(follow);
      app.restored.then(follow).catch(() => undefined);
    }
    restorer?.add(panel, SIDEBAR_ID);
    registerComparison(app);

    // One Run view per run, reused while it is open.
    const runViews = new Map<string, MainAreaWidget<RunViewWidget>>();
    app.commands.addCommand(CommandIDs.openRun, {
      label: args => (args.runId ? `Open Run ${args.runId}` : 'Open Run'),
      execute: args => {
        const runId = String(args.runId ?? '');
        if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(runId)) {
          return;
        }
        let view = runViews.get(runId);
        if (!view || view.isDisposed) {
          const content = new RunViewWidget(runId, {
            openRun: id =>
              void app.commands.execute(CommandIDs.openRun, { runId: id }),
            openFile: path => void openFile(app, path)
          });
          view = new MainAreaWidget({ content });
          view.id = `mlops-run-view-${runId}`;
          view.title.icon = mlopsIcon;
          runViews.set(runId, view);
          view.disposed.connect(() => runViews.delete(runId));
          app.shell.add(view, 'main');
        }
        app.shell.activateById(view.id);
      }
    });
    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show MLOps Sidebar',
      icon: mlopsIcon,
      execute: () => app.shell.activateById(SIDEBAR_ID)
    });
    app.commands.addCommand(CommandIDs.refreshRuns, {
      label: 'Refresh MLOps Runs',
      icon: refreshIcon,
      execute: () => panel.refresh()
    });
    for (const command of [CommandIDs.openSidebar, CommandIDs.refreshRuns]) {
      palette?.addItem({ command, category: PALETTE_CATEGORY });
    }

    settingRegistry
      ?.load(PLUGIN_ID)
      .then(settings => {
        const apply = () => {
          panel.settings = {
            runsPageSize:
              (settings.get('runsPageSize').composite as number) ??
              DEFAULT_SETTINGS.runsPageSize
          };
        };
        apply();
        settings.changed.connect(apply);
      })
      .catch(reason => {
        console.error(`${PLUGIN_ID}: cannot load settings`, reason);
      });
  }
};

export { statusPlugin };
export default [plugin, statusPlugin];
