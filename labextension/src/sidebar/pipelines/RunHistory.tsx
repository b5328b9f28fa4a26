import React, { useEffect, useState } from 'react';

import {
  getPipelineHistory,
  HistoryRun,
  HistoryStep
} from '../../api/pipelines';
import {
  Caret,
  ErrorMessage,
  Loading,
  RelativeTime,
  RunError,
  RunLink,
  StatusBadge
} from '../../components';
import { formatDuration } from '../../format';
import { useLoadable } from '../../hooks';
import { ISidebarContext } from '../Panel';
import { Breakable } from './Breakable';

/**
 * How many runs one page of the history shows.
 */
const PAGE = 10;

/**
 * The past runs of a pipeline, newest first: status, trigger, start, duration and
 * step counts; each expands to its steps (MLflow run, error, output notebook).
 */
export function RunHistory(props: {
  path: string;
  reloadToken: number;
  context: ISidebarContext;
}): React.ReactElement {
  const { path, context } = props;
  const [pages, setPages] = useState(1);
  const [token, setToken] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => setPages(1), [path]);

  const history = useLoadable(
    signal => getPipelineHistory(path, 0, PAGE * pages, { signal }),
    [path, pages, token, props.reloadToken]
  );

  let body: React.ReactNode;
  if (history.state === 'loading') {
    body = <Loading />;
  } else if (history.state === 'error') {
    body = (
      <ErrorMessage
        message={history.message}
        onRetry={() => setToken(t => t + 1)}
      />
    );
  } else if (history.value.runs.length === 0) {
    body = <p className="jp-MLOps-muted">No runs yet.</p>;
  } else {
    body = (
      <>
        <ul className="jp-MLOps-historyList">
          {history.value.runs.map(run => (
            <HistoryItem
              key={run.run_id}
              run={run}
              open={open === run.run_id}
              onToggle={() =>
                setOpen(current => (current === run.run_id ? null : run.run_id))
              }
              context={context}
            />
          ))}
        </ul>
        {history.value.has_more && (
          <button
            className="jp-MLOps-link jp-MLOps-olderRuns"
            onClick={() => setPages(n => Math.min(n + 1, 5))}
            disabled={pages >= 5}
            title={
              pages >= 5
                ? 'The sidebar shows the 50 newest runs'
                : 'Show older runs'
            }
          >
            {pages >= 5
              ? `${history.value.total - history.value.runs.length} older runs not shown`
              : 'Older runs'}
          </button>
        )}
      </>
    );
  }
  return (
    <section className="jp-MLOps-history" aria-label="Run history">
      <h4 className="jp-MLOps-historyTitle">Run history</h4>
      {body}
    </section>
  );
}

function counts(run: HistoryRun): string {
  const parts = [
    run.ok > 0 ? `${run.ok} ok` : '',
    run.failed > 0 ? `${run.failed} failed` : '',
    run.cached > 0 ? `${run.cached} cached` : ''
  ].filter(Boolean);
  const notSelected = run.steps.filter(s => s.status === 'NOT_SELECTED').length;
  const skipped = run.steps.filter(s => s.status === 'SKIPPED').length;
  const other =
    run.steps_total - run.ok - run.failed - run.cached - notSelected - skipped;
  if (skipped > 0) {
    parts.push(`${skipped} skipped`);
  }
  if (notSelected > 0) {
    parts.push(`${notSelected} not selected`);
  }
  if (other > 0) {
    parts.push(`${other} pending`);
  }
  return parts.length > 0 ? parts.join(' · ') : 'no steps';
}

function HistoryItem(props: {
  run: HistoryRun;
  open: boolean;
  onToggle: () => void;
  context: ISidebarContext;
}): React.ReactElement {
  const { run, context } = props;
  return (
    <li
      className="jp-MLOps-historyRun"
      data-run-id={run.run_id}
      data-status={run.status}
    >
      <button
        className="jp-MLOps-historyHeader"
        aria-expanded={props.open}
        title={`Run ${run.run_id}: ${run.ok} ok, ${run.failed} failed, ${run.cached} cached of ${run.steps_total} steps`}
        onClick={props.onToggle}
      >
        <Caret open={props.open} />
        <StatusBadge status={run.status} />
        <span
          className={`jp-MLOps-trigger jp-mod-${run.trigger}`}
          title={
            run.trigger === 'scheduled'
              ? 'Started by a schedule'
              : 'Started by hand (sidebar, CLI, notebook)'
          }
        >
          {run.trigger}
        </span>
        <RelativeTime
          epochMs={run.started === null ? null : run.started * 1000}
          className="jp-MLOps-historyWhen"
        />
        {run.duration !== null && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(run.duration)}
          </span>
        )}
      </button>
      <div className="jp-MLOps-historyMeta">
        <span className="jp-MLOps-historyCounts">{counts(run)}</span>
        {run.mlflow_run_id && (
          <RunLink
            runId={run.mlflow_run_id}
            label="MLflow run"
            openRun={context.openRun}
          />
        )}
      </div>
      {run.error && !props.open && <RunError text={run.error} />}
      {props.open && (
        <ul className="jp-MLOps-historySteps">
          {run.steps.map(step => (
            <HistoryStepItem key={step.name} step={step} context={context} />
          ))}
        </ul>
      )}
    </li>
  );
}

function HistoryStepItem(props: {
  step: HistoryStep;
  context: ISidebarContext;
}): React.ReactElement {
  const { step, context } = props;
  return (
    <li
      className="jp-MLOps-historyStep"
      data-step={step.name}
      data-status={step.status}
    >
      <div className="jp-MLOps-historyStepHeader">
        <StatusBadge status={step.status} />
        <span className="jp-MLOps-historyStepName">
          <Breakable text={step.name} />
        </span>
        {step.duration !== null && step.status !== 'CACHED' && (
          <span className="jp-MLOps-runDuration">
            {formatDuration(step.duration)}
          </span>
        )}
      </div>
      <div className="jp-MLOps-stepLinks">
        {step.mlflow_run_id && (
          <RunLink runId={step.mlflow_run_id} openRun={context.openRun} />
        )}
        {step.cached_from_run && (
          <span className="jp-MLOps-muted">
            from run {step.cached_from_run}
          </span>
        )}
        {step.output_notebook_path && (
          <button
            className="jp-MLOps-link"
            title={`Open the executed notebook ${step.output_notebook_path}`}
            onClick={() => context.openFile(step.output_notebook_path!)}
          >
            Output notebook
          </button>
        )}
      </div>
      {step.error && <RunError text={step.error} />}
      {!step.error && step.reason && step.status !== 'NOT_SELECTED' && (
        <div className="jp-MLOps-stepReason">{step.reason}</div>
      )}
    </li>
  );
}
