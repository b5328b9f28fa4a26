import React from 'react';

import { RefreshButton } from './RefreshButton';

/**
 * The frame of a sidebar section: a toolbar (the section's own controls, then its
 * refresh button) above the section's body.
 */
export function SectionShell(props: {
  /** The section's root class, e.g. `jp-MLOps-runs`. */
  className: string;
  /** What the refresh button reloads, for its tooltip: `Refresh runs`. */
  what: string;
  onRefresh: () => void;
  toolbar?: React.ReactNode;
  children?: React.ReactNode;
}): React.ReactElement {
  return (
    <div className={props.className}>
      <div className="jp-MLOps-toolbar">
        {props.toolbar}
        <RefreshButton what={props.what} onClick={props.onRefresh} />
      </div>
      {props.children}
    </div>
  );
}
