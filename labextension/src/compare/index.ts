import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import React from 'react';

import { CommandIDs } from '../commands';
import { mlopsIcon } from '../icons';
import { CompareView } from './CompareView';
import { DiffView } from './DiffView';

let counter = 0;

function shortId(runId: string): string {
  return runId.slice(0, 8);
}

/**
 * Register the Compare and Diff main-area views behind `CommandIDs.compareRuns`
 * (`{ runIds }`) and `CommandIDs.diffRuns` (`{ runA, runB }`).
 */
export function registerComparison(app: JupyterFrontEnd): void {
  const openRun = (runId: string) =>
    void app.commands.execute(CommandIDs.openRun, { runId });
  const diff = (runA: string, runB: string) =>
    void app.commands.execute(CommandIDs.diffRuns, { runA, runB });

  app.commands.addCommand(CommandIDs.compareRuns, {
    label: 'Compare MLOps Runs',
    execute: args => {
      const runIds = ((args.runIds as string[] | undefined) ?? []).slice();
      const content = ReactWidget.create(
        React.createElement(CompareView, {
          runIds,
          openRun,
          diffRuns: diff
        })
      );
      content.addClass('jp-MLOps-compareView');
      const widget = new MainAreaWidget({ content });
      widget.id = `mlops-compare-${++counter}`;
      widget.title.label = `Compare ${runIds.length} runs`;
      widget.title.caption = runIds.join(', ');
      widget.title.icon = mlopsIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget.id;
    }
  });

  app.commands.addCommand(CommandIDs.diffRuns, {
    label: 'Diff Two MLOps Runs',
    execute: args => {
      const runA = String(args.runA ?? '');
      const runB = String(args.runB ?? '');
      const content = ReactWidget.create(
        React.createElement(DiffView, { runA, runB, openRun })
      );
      content.addClass('jp-MLOps-diffView');
      const widget = new MainAreaWidget({ content });
      widget.id = `mlops-diff-${++counter}`;
      widget.title.label = `Diff ${shortId(runA)}… ↔ ${shortId(runB)}…`;
      widget.title.caption = `${runA} ↔ ${runB}`;
      widget.title.icon = mlopsIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget.id;
    }
  });
}
