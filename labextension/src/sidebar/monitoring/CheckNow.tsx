import React, { useState } from 'react';

import { Dashboard } from '../../api/dashboards';
import { checkNow, reportUrl } from '../../api/monitoring';
import { messageOf } from '../../api/request';
import { getJob, isJobActive, Job } from '../../api/schedules';
import { RunLink } from '../../components';
import { usePolling } from '../../hooks';
import { ISidebarContext } from '../Panel';

const JOB_POLL_MS = 1500;

/**
 * Links of the latest check: its run, its Evidently report, the model's dashboards.
 */
export function CheckLinks(props: {
  runId: string;
  report: boolean;
  context: ISidebarContext;
  dashboards: Dashboard[];
}): React.ReactElement {
  return (
    <div className="jp-MLOps-checkLinks">
      <span className="jp-MLOps-note">Latest check:</span>
      <RunLink
        runId={props.runId}
        label="run"
        openRun={props.context.openRun}
      />
      {props.report ? (
        <a
          className="jp-MLOps-link jp-MLOps-reportLink"
          href={reportUrl(props.runId)}
          target="_blank"
          rel="noopener noreferrer"
          title="The Evidently report of this check (opens in a new tab)"
        >
          Evidently report
        </a>
      ) : (
        <span className="jp-MLOps-note jp-MLOps-noReport">
          no Evidently report kept
        </span>
      )}
      {props.dashboards.map(dashboard => (
        <a
          key={dashboard.file}
          className="jp-MLOps-link jp-MLOps-dashboardLink"
          href={dashboard.url}
          target="_blank"
          rel="noopener noreferrer"
          title={`The ${dashboard.template} dashboard of ${dashboard.model}`}
        >
          {dashboard.template} dashboard
        </a>
      ))}
    </div>
  );
}

/**
 * "Check now": runs the model's monitor.yaml schedule as a job, follows it, and
 * shows how it ended (with the check's run).
 */
export function CheckNow(props: {
  model: string;
  openRun: (runId: string) => void;
  onDone: () => void;
}): React.ReactElement {
  const [job, setJob] = useState<Job | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const active = jobId !== null && (job === null || isJobActive(job.status));

  usePolling(
    () => {
      if (jobId === null) {
        return;
      }
      getJob(jobId).then(
        next => {
          setJob(next);
          if (!isJobActive(next.status)) {
            props.onDone();
          }
        },
        reason => {
          setError(messageOf(reason));
          setJobId(null);
        }
      );
    },
    active ? JOB_POLL_MS : null,
    [jobId, job]
  );

  const start = async () => {
    setBusy(true);
    setError(null);
    setJob(null);
    try {
      const started = await checkNow(props.model);
      setJobId(started.job_id);
    } catch (reason) {
      setError(messageOf(reason));
    } finally {
      setBusy(false);
    }
  };

  const ended = job !== null && !isJobActive(job.status);
  return (
    <div className="jp-MLOps-checkNowRow" data-model={props.model}>
      <button
        type="button"
        className="jp-MLOps-button jp-MLOps-checkNow"
        disabled={busy || active}
        title="Run this model's monitor.yaml check now, as a job"
        onClick={() => void start()}
      >
        {active ? 'Checking…' : 'Check now'}
      </button>
      {active && (
        <span className="jp-MLOps-checkNowStatus" role="status">
          job {jobId} {job ? job.status.toLowerCase() : 'queued'}
        </span>
      )}
      {ended && job && (
        <span
          className={`jp-MLOps-checkNowStatus ${job.status === 'SUCCEEDED' ? '' : 'jp-mod-failed'}`}
          role="status"
          data-status={job.status}
        >
          {job.status === 'SUCCEEDED'
            ? 'Check finished'
            : `Check ${job.status.toLowerCase()}: ${job.error ?? 'see the job log'}`}
          {job.mlflow_run_id && (
            <>
              {' '}
              <RunLink
                runId={job.mlflow_run_id}
                label="its run"
                openRun={props.openRun}
              />
            </>
          )}
        </span>
      )}
      {error !== null && (
        <span className="jp-MLOps-checkNowStatus jp-mod-failed" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
