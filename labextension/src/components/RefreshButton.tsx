import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import React from 'react';

/**
 * The toolbar's refresh button of a section.
 */
export function RefreshButton(props: {
  what: string;
  onClick: () => void;
}): React.ReactElement {
  return (
    <ToolbarButtonComponent
      className="jp-MLOps-refresh"
      icon={refreshIcon}
      tooltip={`Refresh ${props.what}`}
      onClick={props.onClick}
    />
  );
}
