import {
  caretDownIcon,
  caretRightIcon,
  errorIcon,
  HTMLSelect,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useRef, useState } from 'react';

import {
  FILTERABLE_STATUSES,
  IExperiment,
  IRun,
  listExperiments,
  listRuns,
  RunStatus
} from '../api';
import {
  baseName,
  formatAbsolute,
  formatDuration,
  formatMetric,
  formatRelative
} from '../format';
import { mlopsIcon } from '../icons';
import { ISectionProps } from './Panel';
import { messageOf, useLoadable } from './useLoadable';

/**
 * How many metrics a run shows inline; the rest are in its tooltip.
 */
const SHOWN_METRICS = 3;

/**
 * The Runs section: experiments, each expanding to its most recent runs.
 */
export function RunsSection(props: ISectionProps): React.ReactElement {
  const [status, setStatus] = useState<RunStatus | null>(null);
  const [localToken, setLocalToken] = useState(0);
  const reloadToken = props.refreshToken + localToken;
  const experiments = useLoadable<IExperiment[]>(signal => listExperiments({ signal }), [
    reloadToken
  ]);

  const reload = () => setLocalToken(token => token + 1);

  return (
    <div className="jp-MLOps-runs">
      <div className="jp-MLOps-toolbar">
        <label className="jp-MLOps-filter">
          <span>Status</span>
          <HTMLSelect
            className="jp-MLOps-statusFilter"
            aria-label="Filter runs by status"
            value={status ?? ''}
            onChange={event => setStatus((event.target.value as RunStatus) || null)}
            options={[
              { label: 'All', value: '' },
              ...FILTERABLE_STATUSES.map(value => ({ label: titleCase(value), value }))
            ]}
          />
        </label>
        <RefreshButton what="runs" onClick={reload} />
      </div>
      {experiments.state === 'loading' && <Loading />}
      {experiments.state === 'error' && (
        <ErrorMessage message={experiments.message} onRetry={reload} />
      )}
      {experiments.state === 'ready' &&
        (experiments.value.length === 0 ? (
          <GetStarted />
        ) : (
          <ul className="jp-MLOps-experiments">
            {experiments.value.map(experiment => (
              <ExperimentItem
                key={experiment.experiment_id}
                experiment={experiment}
                status={status}
                pageSize={props.settings.runsPageSize}
                reloadToken={reloadToken}
              />
            ))}
          </ul>
        ))}
    </div>
  );
}

interface IRunsState {
  runs: IRun[];
  nextPageToken: string | null;
  loading: boolean;
  error: string | null;
}

const NO_RUNS: IRunsState = { runs: [], nextPageToken: null, loading: true, error: null };

/**
 * Pages through an experiment's runs while `enabled`; restarts when a query input changes.
 */
function useRuns(
  experimentId: string,
  status: RunStatus | null,
  pageSize: number,
  reloadToken: number,
  enabled: boolean
): [IRunsState, () => void] {
  const [state, setState] = useState<IRunsState>(NO_RUNS);
  const controller = useRef<AbortController | null>(null);

  const load = useCallback(
    (pageToken: string | null) => {
      if (!pageToken) {
        controller.current?.abort();
        controller.current = new AbortController();
      }
      const signal = controller.current!.signal;
      setState(current => ({ ...current, loading: true, error: null }));
      listRuns(experimentId, { status, maxResults: pageSize, pageToken }, { signal }).then(
        page =>
          setState(current => ({
            runs: pageToken ? [...current.runs, ...page.runs] : page.runs,
            nextPageToken: page.next_page_token,
            loading: false,
            error: null
          })),
        reason => {
          if (!signal.aborted) {
            setState(current => ({ ...current, loading: false, error: messageOf(reason) }));
          }
        }
      );
    },
    [experimentId, status, pageSize]
  );

  useEffect(() => {
    if (enabled) {
      load(null);
    }
  }, [enabled, load, reloadToken]);

  useEffect(() => () => controller.current?.abort(), []);

  return [state, () => load(state.nextPageToken)];
}

function ExperimentItem(props: {
  experiment: IExperiment;
  status: RunStatus | null;
  pageSize: number;
  reloadToken: number;
}): React.ReactElement {
  const { experiment, status } = props;
  const [expanded, setExpanded] = useState(false);
  const [runs, loadMore] = useRuns(
    experiment.experiment_id,
    status,
    props.pageSize,
    props.reloadToken,
    expanded
  );
  const Caret = expanded ? caretDownIcon : caretRightIcon;

  return (
    <li className="jp-MLOps-experiment" data-experiment-id={experiment.experiment_id}>
      <button
        className="jp-MLOps-experimentHeader"
        aria-expanded={expanded}
        title={`Experiment ${experiment.experiment_id}`}
        onClick={() => setExpanded(!expanded)}
      >
        <Caret.react tag="span" className="jp-MLOps-caret" />
        <span className="jp-MLOps-experimentName">{experiment.name}</span>
        {experiment.last_update_time !== null && (
          <time
            className="jp-MLOps-muted"
            title={`Updated ${formatAbsolute(experiment.last_update_time)}`}
          >
            {formatRelative(experiment.last_update_time)}
          </time>
        )}
      </button>
      {expanded && (
        <div className="jp-MLOps-experimentBody">
          {runs.runs.length > 0 && (
            <ul className="jp-MLOps-runList">
              {runs.runs.map(run => (
                <RunItem key={run.run_id} run={run} />
              ))}
            </ul>
          )}
          {runs.error !== null && (
            <ErrorMessage message={runs.error} onRetry={loadMore} />
          )}
          {runs.loading && <Loading />}
          {!runs.loading && runs.error === null && runs.runs.length === 0 && (
            <p className="jp-MLOps-note">
              {status ? (
                `No ${titleCase(status).toLowerCase()} runs in this experiment.`
              ) : (
                <>
                  No runs yet. Run <code>%mlops track</code> in a notebook to record
                  cells here.
                </>
              )}
            </p>
          )}
          {!runs.loading && runs.error === null && runs.nextPageToken && (
            <button className="jp-MLOps-loadMore" onClick={loadMore}>
              Load more
            </button>
          )}
        </div>
      )}
    </li>
  );
}

function RunItem({ run }: { run: IRun }): React.ReactElement {
  const metrics = Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b));
  const shown = metrics.slice(0, SHOWN_METRICS);
  const hidden = metrics.slice(SHOWN_METRICS);

  return (
    <li className="jp-MLOps-run" data-run-id={run.run_id} data-status={run.status}>
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
        {run.kind === 'session' && <span className="jp-MLOps-kind">session</span>}
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
          <time title={formatAbsolute(run.start_time)}>{formatRelative(run.start_time)}</time>
        )}
      </div>
      {shown.length > 0 && (
        <div className="jp-MLOps-metrics">
          {shown.map(([key, value]) => (
            <span key={key} className="jp-MLOps-metric" title={`${key} = ${value}`}>
              <span className="jp-MLOps-metricKey">{key}</span>
              <span className="jp-MLOps-metricValue">{formatMetric(value)}</span>
            </span>
          ))}
          {hidden.length > 0 && (
            <span
              className="jp-MLOps-muted"
              title={hidden.map(([key, value]) => `${key} = ${value}`).join('\n')}
            >
              +{hidden.length} more
            </span>
          )}
        </div>
      )}
      {run.error && (
        <div className="jp-MLOps-runError" title={run.error}>
          <errorIcon.react tag="span" className="jp-MLOps-runErrorIcon" />
          <span>{run.error}</span>
        </div>
      )}
    </li>
  );
}

function StatusBadge({ status }: { status: RunStatus }): React.ReactElement {
  return (
    <span className={`jp-MLOps-badge jp-mod-${status.toLowerCase()}`}>
      {titleCase(status)}
    </span>
  );
}

function GetStarted(): React.ReactElement {
  return (
    <div className="jp-MLOps-empty">
      <mlopsIcon.react tag="span" className="jp-MLOps-emptyIcon" />
      <p className="jp-MLOps-emptyTitle">No experiments yet</p>
      <p>Track every cell you run in a notebook:</p>
      <pre className="jp-MLOps-code">
        %load_ext mlops_jupyter{'\n'}%mlops track
      </pre>
      <p>Runs appear here as the cells execute.</p>
    </div>
  );
}

export function ErrorMessage(props: { message: string; onRetry: () => void }): React.ReactElement {
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
 * The toolbar's refresh button of a section.
 */
export function RefreshButton(props: { what: string; onClick: () => void }): React.ReactElement {
  return (
    <ToolbarButtonComponent
      className="jp-MLOps-refresh"
      icon={refreshIcon}
      tooltip={`Refresh ${props.what}`}
      onClick={props.onClick}
    />
  );
}

export function Loading(): React.ReactElement {
  return <p className="jp-MLOps-note jp-MLOps-loading">Loading…</p>;
}

function runTooltip(run: IRun): string {
  const lines = [`${run.run_name} (${run.run_id})`];
  for (const [key, value] of Object.entries(run.params)) {
    lines.push(`${key}: ${value}`);
  }
  return lines.join('\n');
}

function titleCase(status: RunStatus): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

