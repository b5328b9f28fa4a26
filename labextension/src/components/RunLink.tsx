import React from 'react';

/**
 * A run id (or name) that opens the run view when clicked.
 *
 * Every place that shows a run renders this, so a run can be opened from anywhere.
 */
export function RunLink(props: {
  runId: string;
  /** Shown instead of the short id, e.g. the run name. */
  label?: string;
  openRun: (runId: string) => void;
}): React.ReactElement {
  return (
    <button
      type="button"
      className="jp-MLOps-runLink"
      data-run-id={props.runId}
      title={`Open run ${props.runId}`}
      onClick={event => {
        event.stopPropagation();
        props.openRun(props.runId);
      }}
    >
      {props.label ?? props.runId.slice(0, 8)}
    </button>
  );
}
