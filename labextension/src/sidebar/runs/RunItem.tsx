import React from 'react';

import { Run } from '../../api/runs';
import { RunError, StatusBadge } from '../../components';
import {
  baseName,
  formatAbsolute,
  formatDuration,
  formatMetric,
  formatRelative
} from '../../format';

/**
 * How many metrics a run shows inline; the rest are in its tooltip.
 */
const SHOWN_METRICS = 3;

/**
 * One run: status, name, duration, where it ran, its first metrics and its error.
 */
export function RunItem({ run }: { run: Run }): React.ReactElement {
  const metrics = Object.entries(run.metrics).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  const shown = metrics.slice(0, SHOWN_METRICS);
  const hidden = metrics.slice(SHOWN_METRICS);

  return (
    <li
      className="jp-MLOps-run"
      data-run-id={run.run_id}
      data-status={run.status}
    >
      <div className="jp-MLOps-runHeader">
        <StatusBadge status={run.status} />
        <span className="jp-MLOps-runName" title={runTooltip(run)}>
          {run.run_name}
        </span>
        {run.duration_s !== null && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(run.duration_s)}
          </span>
        )}
      </div>
      <div className="jp-MLOps-runMeta">
        {run.kind === 'session' && (
          <span className="jp-MLOps-kind">session</span>
        )}
        {run.kind === 'cell' && (
          <span className="jp-MLOps-kind" title="Cell execution count">
            {run.execution_count !== null ? `[${run.execution_count}]` : 'cell'}
          </span>
        )}
        {run.notebook && (
          <span className="jp-MLOps-notebook" title={run.notebook}>
            {baseName(run.notebook)}
          </span>
        )}
        {run.start_time !== null && (
          <time title={formatAbsolute(run.start_time)}>
            {formatRelative(run.start_time)}
          </time>
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
    </li>
  );
}

function runTooltip(run: Run): string {
  const lines = [`${run.run_name} (${run.run_id})`];
  for (const [key, value] of Object.entries(run.params)) {
    lines.push(`${key}: ${value}`);
  }
  return lines.join('\n');
}
