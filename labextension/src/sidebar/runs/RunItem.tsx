import React, { useState } from 'react';

import { Run } from '../../api/runs';
import { Caret, RunError, RunLink, StatusBadge } from '../../components';
import {
  baseName,
  formatAbsolute,
  formatDuration,
  formatMetric,
  formatRelative
} from '../../format';
import { useMlflowUi } from '../../hooks';
import { mlflowUiUrl } from '../../mlflowUi';
import { IRunsView } from './view';
import { BY_DURATION, useRunList } from './useRunList';

/** How many metrics a run shows inline; the rest are in a tooltip. */
const SHOWN_METRICS = 3;

/**
 * One run of the tree: a checkbox, its status (or "cached"), its name (opens the Run
 * view), where it belongs, and its children (cells, steps) loaded on expand.
 */
export function RunItem(props: {
  run: Run;
  view: IRunsView;
  depth: number;
}): React.ReactElement {
  const { run, view } = props;
  const [expanded, setExpanded] = useState(false);
  const childCount = run.child_count ?? 0;
  const metrics = Object.entries(run.metrics).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  const shown = metrics.slice(0, SHOWN_METRICS);
  const hidden = metrics.slice(SHOWN_METRICS);
  const selected = view.selected.has(run.run_id);
  useMlflowUi();
  const uiUrl = run.experiment_id
    ? mlflowUiUrl({ experimentId: run.experiment_id, runId: run.run_id })
    : null;

  return (
    <li
      className="jp-MLOps-run"
      data-run-id={run.run_id}
      data-status={run.cached ? 'CACHED' : run.status}
      data-kind={run.kind ?? ''}
    >
      <div className="jp-MLOps-runHeader">
        {childCount > 0 ? (
          <button
            className="jp-MLOps-runExpand"
            aria-expanded={expanded}
            aria-label={`${expanded ? 'Hide' : 'Show'} ${childCount} child runs`}
            title={`${childCount} child run${childCount === 1 ? '' : 's'}`}
            onClick={() => setExpanded(!expanded)}
          >
            <Caret open={expanded} />
          </button>
        ) : (
          <span className="jp-MLOps-runExpand" />
        )}
        <input
          type="checkbox"
          className="jp-MLOps-runSelect"
          aria-label={`Select ${run.run_name ?? run.run_id}`}
          checked={selected}
          onChange={() => view.toggle(run.run_id)}
        />
        {run.cached ? (
          <StatusBadge
            status="CACHED"
            label="cached"
            title="Outputs reused from an earlier run"
          />
        ) : (
          <StatusBadge status={run.status} />
        )}
        <button
          className="jp-MLOps-runName"
          title={runTooltip(run)}
          onClick={() => view.openRun(run.run_id)}
        >
          {run.run_name ?? run.run_id}
        </button>
      </div>
      <div className="jp-MLOps-runMeta">
        {run.kind && <span className="jp-MLOps-kind">{kindLabel(run)}</span>}
        {run.scheduled && (
          <span
            className="jp-MLOps-tag jp-mod-scheduled"
            title={`Run by scheduler job ${run.job_id}`}
          >
            scheduled
          </span>
        )}
        {run.cached && run.cached_from_run_id && (
          <span className="jp-MLOps-cachedFrom">
            from{' '}
            <RunLink runId={run.cached_from_run_id} openRun={view.openRun} />
          </span>
        )}
        {run.notebook && run.kind !== 'step' && (
          <span className="jp-MLOps-notebook" title={run.notebook}>
            {baseName(run.notebook)}
          </span>
        )}
        {!run.cached && run.duration_s !== null && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(run.duration_s)}
          </span>
        )}
        {run.start_time !== null && (
          <time title={formatAbsolute(run.start_time)}>
            {formatRelative(run.start_time)}
          </time>
        )}
        {uiUrl && (
          <a
            className="jp-MLOps-link jp-MLOps-runMlflow"
            href={uiUrl}
            target="_blank"
            rel="noopener noreferrer"
            title="Open this run in the MLflow UI"
          >
            MLflow UI
          </a>
        )}
      </div>
      {shown.length > 0 && (
        <div className="jp-MLOps-metrics">
          {shown.map(([key, value]) => (
            <span
              key={key}
              className="jp-MLOps-metric"
              title={`${key} = ${value}`}
            >
              <span className="jp-MLOps-metricKey">{key}</span>
              <span className="jp-MLOps-metricValue">
                {formatMetric(value)}
              </span>
            </span>
          ))}
          {hidden.length > 0 && (
            <span
              className="jp-MLOps-muted"
              title={hidden
                .map(([key, value]) => `${key} = ${value}`)
                .join('\n')}
            >
              +{hidden.length} more
            </span>
          )}
        </div>
      )}
      {run.error && <RunError text={run.error} />}
      {expanded && <Children run={run} view={view} depth={props.depth + 1} />}
    </li>
  );
}

/** A run's children (steps in the order they ran, cells in execution order). */
function Children(props: {
  run: Run;
  view: IRunsView;
  depth: number;
}): React.ReactElement {
  const { run, view } = props;
  const [children, loadMore] = useRunList(
    run.experiment_id ?? view.experimentId,
    {
      parent: run.run_id,
      maxResults: 100,
      orderBy: view.orderBy === BY_DURATION ? BY_DURATION : null
    },
    true,
    view.reloadToken,
    run.status === 'RUNNING'
  );
  return (
    <div className="jp-MLOps-runChildren">
      {children.runs.length > 0 && (
        <ul className="jp-MLOps-runList">
          {children.runs.map(child => (
            <RunItem
              key={child.run_id}
              run={child}
              view={view}
              depth={props.depth}
            />
          ))}
        </ul>
      )}
      {children.error && <RunError text={children.error} />}
      {!children.loading && children.nextPageToken && (
        <button className="jp-MLOps-loadMore" onClick={loadMore}>
          Load more
        </button>
      )}
    </div>
  );
}

function kindLabel(run: Run): string {
  if (run.kind === 'cell') {
    return run.execution_count !== null && run.execution_count !== undefined
      ? `cell [${run.execution_count}]`
      : 'cell';
  }
  if (run.kind === 'step') {
    return 'step';
  }
  return run.kind ?? '';
}

function runTooltip(run: Run): string {
  const lines = [`${run.run_name ?? ''} (${run.run_id})`, 'Click to open'];
  for (const [key, value] of Object.entries(run.params)) {
    lines.push(`${key}: ${value}`);
  }
  return lines.join('\n');
}
