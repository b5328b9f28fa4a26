import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { refreshIcon } from '@jupyterlab/ui-components';

import { mlopsIcon } from './icons';
import { DEFAULT_SETTINGS, MLOpsPanel } from './sidebar/Panel';
import { RunsSection } from './sidebar/RunsSection';

/**
 * The command ids of the MLOps sidebar.
 */
namespace CommandIDs {
  export const openSidebar = 'mlops:open-sidebar';
  export const refreshRuns = 'mlops:refresh-runs';
}

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
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const panel = new MLOpsPanel([{ id: 'runs', title: 'Runs', component: RunsSection }]);
    panel.id = SIDEBAR_ID;
    panel.title.icon = mlopsIcon;
    panel.title.caption = 'MLOps';
    app.shell.add(panel, 'left', { rank: 650 });
    restorer?.add(panel, SIDEBAR_ID);

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

export default plugin;
