import React from 'react';

import { PipelineRun, isRunOver } from '../../api/pipelines';
import { RelativeTime, RunError, StatusBadge } from '../../components';
import { formatDuration } from '../../format';
import { useNow } from '../../hooks';
import { countSteps } from './steps';

/**
 * The shown run of a pipeline: state, start, duration, step counts and error.
 */
export function RunSummary(props: {
  run: PipelineRun | null;
  pending: boolean;
  experiment: string;
}): React.ReactElement {
  const { run } = props;
  // Re-render while the run goes on (its duration) and as "started … ago" ages.
  const now = useNow(run && run.started !== null ? run.started * 1000 : null);
  if (run === null) {
    return (
      <div className="jp-MLOps-runSummary">
        {props.pending ? (
          <StatusBadge status="PENDING" />
        ) : (
          <span className="jp-MLOps-muted">Never run</span>
        )}
        <span
          className="jp-MLOps-muted"
          title="MLflow experiment of the pipeline's runs"
        >
          MLflow experiment <b>{props.experiment}</b>
        </span>
      </div>
    );
  }
  const over = isRunOver(run.status);
  const took =
    run.started !== null
      ? (over && run.ended !== null ? run.ended : now / 1000) - run.started
      : null;
  const counts = countSteps(run);
  return (
    <div
      className="jp-MLOps-runSummary"
      data-run-id={run.run_id}
      data-status={run.status}
    >
      <div className="jp-MLOps-runSummaryLine">
        <StatusBadge status={run.status} />
        <span className="jp-MLOps-runSummaryId" title={`Run ${run.run_id}`}>
          {over ? 'Last run' : 'Running'}
          {run.started !== null && (
            <RelativeTime epochMs={run.started * 1000} prefix=" · started " />
          )}
        </span>
        {took !== null && (
          <span className="jp-MLOps-runDuration">{formatDuration(took)}</span>
        )}
      </div>
      {counts && (
        <div className="jp-MLOps-muted jp-MLOps-runCounts">{counts}</div>
      )}
      {run.error && <RunError text={run.error} />}
      <span
        className="jp-MLOps-muted"
        title={`MLflow run "${run.pipeline ?? ''} ${run.run_id}" with one child run per step`}
      >
        MLflow experiment <b>{run.experiment ?? props.experiment}</b>
      </span>
    </div>
  );
}
