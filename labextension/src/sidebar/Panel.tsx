import {
  caretDownIcon,
  caretRightIcon,
  ReactWidget
} from '@jupyterlab/ui-components';
import React, { useState } from 'react';

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
 * What the panel passes to each section.
 */
export interface ISectionProps {
  /** Changes whenever the user asks the whole sidebar to reload. */
  refreshToken: number;
  settings: ISidebarSettings;
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
  constructor(sections: ReadonlyArray<ISection>) {
    super();
    this._sections = sections;
    this.addClass('jp-MLOps-panel');
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
            <CollapsibleSection key={section.id} id={section.id} title={section.title}>
              <section.component
                refreshToken={this._refreshToken}
                settings={this._settings}
              />
            </CollapsibleSection>
          ))}
        </div>
      </>
    );
  }

  private readonly _sections: ReadonlyArray<ISection>;
  private _settings: ISidebarSettings = DEFAULT_SETTINGS;
  private _refreshToken = 0;
}

function CollapsibleSection(props: {
  id: string;
  title: string;
  children: React.ReactNode;
}): React.ReactElement {
  const [open, setOpen] = useState(true);
  const Caret = open ? caretDownIcon : caretRightIcon;
  return (
    <section className="jp-MLOps-section" data-section={props.id}>
      <button
        className="jp-MLOps-sectionHeader"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <Caret.react tag="span" className="jp-MLOps-caret" />
        <span className="jp-MLOps-sectionTitle">{props.title}</span>
      </button>
      {open && <div className="jp-MLOps-sectionBody">{props.children}</div>}
    </section>
  );
}
