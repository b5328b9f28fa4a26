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

/**
 * Why a run, step or job failed, on one line (the full text in its tooltip); a
 * `note` (e.g. why a job was skipped) is shown without the error icon.
 */
export function RunError(props: {
  text: string;
  note?: boolean;
}): React.ReactElement {
  return (
    <div
      className={
        props.note ? 'jp-MLOps-runError jp-mod-note' : 'jp-MLOps-runError'
      }
      title={props.text}
    >
      {!props.note && (
        <errorIcon.react tag="span" className="jp-MLOps-runErrorIcon" />
      )}
      <span>{props.text}</span>
    </div>
  );
}
