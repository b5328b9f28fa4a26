import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { Caret } from '../components';
import { mlopsIcon } from '../icons';

/**
 * User settings every section can read (from the `mlops-jupyter:sidebar` schema).
 */
export interface ISidebarSettings {
  /** How many runs of an experiment to load at a time. */
  runsPageSize: number;
}

/**
 * The default settings, used until the setting registry answers.
 */
export const DEFAULT_SETTINGS: ISidebarSettings = { runsPageSize: 20 };

/**
 * What sections may ask of JupyterLab.
 */
export interface ISidebarContext {
  /** Open a file (path relative to the server root) in the main area. */
  openFile(path: string): void;
  /** The notebook in the main area (relative to the server root), or null. */
  currentNotebook: string | null;
  /** Open a run's view in the main area (`CommandIDs.openRun`). */
  openRun(runId: string): void;
  /** Compare 2–1000 runs in the main area (`CommandIDs.compareRuns`). */
  compareRuns(runIds: string[]): void;
  /** Diff two runs in the main area (`CommandIDs.diffRuns`). */
  diffRuns(runA: string, runB: string): void;
}

/**
 * What JupyterLab provides to the sidebar: every member of the context but the
 * current notebook, which the panel follows itself.
 */
export type ISidebarActions = Omit<ISidebarContext, 'currentNotebook'>;

const NO_CONTEXT: ISidebarContext = {
  openFile: () => undefined,
  currentNotebook: null,
  openRun: () => undefined,
  compareRuns: () => undefined,
  diffRuns: () => undefined
};

/**
 * What the panel passes to each section.
 */
export interface ISectionProps {
  /** Changes whenever the user asks the whole sidebar to reload. */
  refreshToken: number;
  settings: ISidebarSettings;
  context: ISidebarContext;
}

/**
 * One collapsible section of the sidebar.
 */
export interface ISection {
  /** Unique, stable id; also used in the DOM (`data-section`). */
  id: string;
  title: string;
  component: React.ComponentType<ISectionProps>;
}

/**
 * The MLOps sidebar: a header and a stack of collapsible sections.
 */
export class MLOpsPanel extends ReactWidget {
  constructor(
    sections: ReadonlyArray<ISection>,
    actions?: Partial<ISidebarActions>
  ) {
    super();
    this._sections = sections;
    this._context = { ...NO_CONTEXT, ...actions };
    this.addClass('jp-MLOps-panel');
  }

  /**
   * The notebook in the main area, offered to sections (e.g. to make a pipeline of it).
   */
  get currentNotebook(): string | null {
    return this._context.currentNotebook;
  }
  set currentNotebook(path: string | null) {
    if (path !== this._context.currentNotebook) {
      this._context = { ...this._context, currentNotebook: path };
      this.update();
    }
  }

  /**
   * The user settings passed to every section.
   */
  get settings(): ISidebarSettings {
    return this._settings;
  }
  set settings(value: ISidebarSettings) {
    this._settings = value;
    this.update();
  }

  /**
   * Ask every section to reload its data.
   */
  refresh(): void {
    this._refreshToken += 1;
    this.update();
  }

  protected render(): React.ReactElement {
    return (
      <>
        <div className="jp-MLOps-header">
          <mlopsIcon.react tag="span" className="jp-MLOps-headerIcon" />
          <h2 className="jp-MLOps-headerTitle">MLOps</h2>
        </div>
        <div className="jp-MLOps-sections">
          {this._sections.map(section => (
            <CollapsibleSection
              key={section.id}
              id={section.id}
              title={section.title}
            >
              <section.component
                refreshToken={this._refreshToken}
                settings={this._settings}
                context={this._context}
              />
            </CollapsibleSection>
          ))}
        </div>
      </>
    );
  }

  private readonly _sections: ReadonlyArray<ISection>;
  private _settings: ISidebarSettings = DEFAULT_SETTINGS;
  private _context: ISidebarContext;
  private _refreshToken = 0;
}

function CollapsibleSection(props: {
  id: string;
  title: string;
  children: React.ReactNode;
}): React.ReactElement {
  const [open, setOpen] = useState(true);
  return (
    <section className="jp-MLOps-section" data-section={props.id}>
      <button
        className="jp-MLOps-sectionHeader"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <Caret open={open} />
        <span className="jp-MLOps-sectionTitle">{props.title}</span>
      </button>
      {open && <div className="jp-MLOps-sectionBody">{props.children}</div>}
    </section>
  );
}
