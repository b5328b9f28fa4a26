import { stopIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { cancelJob, Job, isJobActive, listJobs } from '../../api/schedules';
import {
  ErrorMessage,
  Loading,
  RelativeTime,
  RunError,
  RunLink,
  StatusBadge
} from '../../components';
import { baseName, formatDuration } from '../../format';
import { useAction, useLoadable, usePolling } from '../../hooks';
import { ISidebarContext } from '../Panel';
import { BUSY_POLL_MS, HISTORY_LENGTH } from './timing';

/**
 * The last jobs of a schedule, newest first; followed while one runs.
 */
export function JobHistory(props: {
  schedule: string;
  context: ISidebarContext;
  reloadToken: number;
  onChanged: () => void;
}): React.ReactElement {
  const [localToken, setLocalToken] = useState(0);
  const jobs = useLoadable<Job[]>(
    signal =>
      listJobs({ schedule: props.schedule, limit: HISTORY_LENGTH }, { signal }),
    [props.schedule, props.reloadToken, localToken]
  );
  const anyActive =
    jobs.state === 'ready' && jobs.value.some(job => isJobActive(job.status));

  // Follow a running job even when the list is refreshed slowly.
  usePolling(() => setLocalToken(t => t + 1), anyActive ? BUSY_POLL_MS : null, [
    jobs
  ]);

  if (jobs.state === 'loading') {
    return <Loading />;
  }
  if (jobs.state === 'error') {
    return (
      <ErrorMessage
        message={jobs.message}
        onRetry={() => setLocalToken(t => t + 1)}
      />
    );
  }
  if (jobs.value.length === 0) {
    return <p className="jp-MLOps-muted jp-MLOps-noJobs">No jobs yet.</p>;
  }
  return (
    <ol className="jp-MLOps-jobList" aria-label={`Jobs of ${props.schedule}`}>
      {jobs.value.map(job => (
        <JobItem
          key={job.id}
          job={job}
          context={props.context}
          onChanged={() => {
            setLocalToken(t => t + 1);
            props.onChanged();
          }}
        />
      ))}
    </ol>
  );
}

function JobItem(props: {
  job: Job;
  context: ISidebarContext;
  onChanged: () => void;
}): React.ReactElement {
  const { job, context } = props;
  const cancelling = useAction({ onSettled: props.onChanged });
  const active = isJobActive(job.status);
  const started = job.started ?? job.created;
  const took =
    job.duration_s ??
    (job.status === 'RUNNING' && job.started
      ? (Date.now() - Date.parse(job.started)) / 1000
      : null);

  const cancel = () => cancelling.run(() => cancelJob(job.id));

  return (
    <li className="jp-MLOps-job" data-job-id={job.id} data-status={job.status}>
      <div className="jp-MLOps-jobHeader">
        <StatusBadge status={job.status} />
        <span className="jp-MLOps-jobTitle">
          #{job.id}{' '}
          <span className="jp-MLOps-muted">{triggerLabel(job.trigger)}</span>
        </span>
        {started && <RelativeTime epochMs={Date.parse(started)} />}
        {took !== null && job.status !== 'SKIPPED' && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(took)}
          </span>
        )}
        {active && (
          <ToolbarButtonComponent
            className="jp-MLOps-cancelJob"
            icon={stopIcon}
            tooltip={`Cancel job ${job.id} (stops its kernels)`}
            onClick={() => void cancel()}
          />
        )}
      </div>
      {job.error && (
        <RunError text={job.error} note={job.status === 'SKIPPED'} />
      )}
      {cancelling.error !== null && (
        <div className="jp-MLOps-inlineError">{cancelling.error}</div>
      )}
      {(job.outputs.length > 0 || job.mlflow_run_id) && (
        <div className="jp-MLOps-stepLinks">
          {job.outputs.map(output => (
            <button
              key={output}
              className="jp-MLOps-link jp-MLOps-outputLink"
              title={`Open the executed notebook ${output}`}
              onClick={() => context.openFile(output)}
            >
              {baseName(output)}
            </button>
          ))}
          {job.mlflow_run_id && (
            <span className="jp-MLOps-mlflowRun">
              <RunLink
                runId={job.mlflow_run_id}
                label={`MLflow run ${job.mlflow_run_id.slice(0, 8)}`}
                openRun={context.openRun}
              />
            </span>
          )}
        </div>
      )}
    </li>
  );
}

function triggerLabel(trigger: string): string {
  switch (trigger) {
    case 'cron':
      return 'scheduled';
    case 'manual':
      return 'run now';
    case 'catch-up':
      return 'catch-up';
    case 'missed':
      return 'missed';
    default:
      return trigger;
  }
}
