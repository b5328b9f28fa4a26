import { errorIcon } from '@jupyterlab/ui-components';
import React from 'react';

/**
 * A failed load as one line, with a Retry link.
 */
export function ErrorMessage(props: {
  message: string;
  onRetry: () => void;
}): React.ReactElement {
  return (
    <div className="jp-MLOps-error" role="alert">
      <errorIcon.react tag="span" className="jp-MLOps-errorIcon" />
      <span className="jp-MLOps-errorText">{props.message}</span>
      <button className="jp-MLOps-link" onClick={props.onRetry}>
        Retry
      </button>
    </div>
  );
}
