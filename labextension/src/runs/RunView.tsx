import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useMemo, useState } from 'react';

import { messageOf } from '../api/request';
import {
  downloadArtifact,
  getRun,
  openRunNotebook,
  Run,
  RunDetail
} from '../api/runs';
import {
  Chart,
  ChartOption,
  ErrorMessage,
  Loading,
  RunLink,
  StatusBadge
} from '../components';
import { formatAbsolute, formatDuration, formatMetric } from '../format';
import { useLoadable, useMlflowUi, usePolling } from '../hooks';
import { mlflowUiUrl } from '../mlflowUi';

/** What the Run view asks of the application. */
export interface IRunViewActions {
  openRun(runId: string): void;
  openFile(path: string): void;
}

/** How often a RUNNING run's view is fetched again. */
const REFRESH_MS = 3000;

/**
 * The Run view: one main-area tab per run (`CommandIDs.openRun`).
 */
export class RunViewWidget extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly _actions: IRunViewActions
  ) {
    super();
    this.addClass('jp-MLOps-runView');
    this.id = `mlops-run-${runId}`;
    this.title.label = `Run ${runId.slice(0, 8)}`;
    this.title.caption = `MLflow run ${runId}`;
    this.title.closable = true;
  }

  protected render(): React.ReactElement {
    return (
      <RunView
        runId={this.runId}
        actions={this._actions}
        onLoaded={run => {
          this.title.label = run.run_name
            ? `${run.run_name} (run)`
            : `Run ${this.runId.slice(0, 8)}`;
        }}
      />
    );
  }
}

/**
 * Everything about one run: header, params, metrics with charts over steps, tags,
 * source or notebook, error, fingerprints, git, environment, artifacts, models,
 * what it belongs to. Refreshes itself while the run is RUNNING.
 */
export function RunView(props: {
  runId: string;
  actions: IRunViewActions;
  onLoaded?: (run: RunDetail) => void;
}): React.ReactElement {
  const [token, setToken] = useState(0);
  const [last, setLast] = useState<RunDetail | null>(null);
  const loaded = useLoadable<RunDetail>(
    async signal => {
      const run = await getRun(props.runId, { signal });
      setLast(run);
      props.onLoaded?.(run);
      return run;
    },
    [props.runId, token]
  );
  const run = loaded.state === 'ready' ? loaded.value : last;
  usePolling(
    () => setToken(value => value + 1),
    run?.status === 'RUNNING' ? REFRESH_MS : null,
    [run]
  );

  if (!run) {
    return loaded.state === 'error' ? (
      <ErrorMessage
        message={loaded.message}
        onRetry={() => setToken(value => value + 1)}
      />
    ) : (
      <Loading />
    );
  }
  return <RunBody run={run} actions={props.actions} />;
}

function RunBody(props: {
  run: RunDetail;
  actions: IRunViewActions;
}): React.ReactElement {
  const { run, actions } = props;
  useMlflowUi();
  const uiUrl = mlflowUiUrl({
    experimentId: run.experiment_id ?? '0',
    runId: run.run_id
  });
  return (
    <div className="jp-MLOps-runViewBody" data-run-id={run.run_id}>
      <header className="jp-MLOps-runViewHeader">
        <h1 className="jp-MLOps-runViewTitle">{run.run_name ?? run.run_id}</h1>
        <div className="jp-MLOps-runViewFacts">
          {run.cached ? (
            <StatusBadge status="CACHED" label="cached" />
          ) : (
            <StatusBadge status={run.status} />
          )}
          {run.kind && <span className="jp-MLOps-kind">{run.kind}</span>}
          {run.scheduled && (
            <span className="jp-MLOps-tag jp-mod-scheduled">
              scheduled · job {run.job_id}
            </span>
          )}
          {run.duration_s !== null && run.duration_s !== undefined && (
            <span title="Duration">{formatDuration(run.duration_s)}</span>
          )}
          {run.start_time !== null && run.start_time !== undefined && (
            <span title="Started">{formatAbsolute(run.start_time)}</span>
          )}
          <span className="jp-MLOps-muted">
            {run.experiment_name} · <code>{run.run_id}</code>
          </span>
          {uiUrl && (
            <a
              className="jp-MLOps-mlflowLink"
              href={uiUrl}
              target="_blank"
              rel="noreferrer"
            >
              MLflow UI
            </a>
          )}
        </div>
        {run.parent && (
          <div className="jp-MLOps-runViewLine">
            Parent:{' '}
            <RunLink
              runId={run.parent.run_id}
              label={run.parent.run_name ?? undefined}
              openRun={actions.openRun}
            />
          </div>
        )}
        {run.cached && run.cached_from_run_id && (
          <div className="jp-MLOps-runViewLine">
            Outputs reused from{' '}
            <RunLink runId={run.cached_from_run_id} openRun={actions.openRun} />
          </div>
        )}
      </header>
      {run.error_detail && <ErrorSection run={run} />}
      {run.children && run.children.length > 0 && (
        <Section title={`Children (${run.child_count ?? run.children.length})`}>
          <ChildTable runs={run.children} openRun={actions.openRun} />
        </Section>
      )}
      <Section title="Parameters" empty={!Object.keys(run.params).length}>
        <KeyValues values={run.params} />
      </Section>
      <MetricsSection run={run} />
      {(run.source || run.notebooks?.length || run.output_notebook) && (
        <Section title="Code">
          {run.source && <pre className="jp-MLOps-source">{run.source}</pre>}
          <NotebookButtons run={run} actions={actions} />
        </Section>
      )}
      {run.fingerprints && Object.keys(run.fingerprints).length > 0 && (
        <Section title="Data fingerprints">
          <KeyValues values={run.fingerprints} mono />
        </Section>
      )}
      {run.git && <GitSection run={run} />}
      {run.environment && <EnvironmentSection run={run} />}
      {run.model_versions && run.model_versions.length > 0 && (
        <Section title="Model versions produced">
          <ul className="jp-MLOps-plainList">
            {run.model_versions.map(version => {
              const url = mlflowUiUrl({
                model: version.name,
                version: version.version
              });
              return (
                <li key={`${version.name}/${version.version}`}>
                  {version.name} v{version.version}
                  {version.aliases?.map(alias => (
                    <span key={alias} className="jp-MLOps-tag">
                      @{alias}
                    </span>
                  ))}
                  {url && (
                    <a href={url} target="_blank" rel="noreferrer">
                      {' '}
                      MLflow UI
                    </a>
                  )}
                </li>
              );
            })}
          </ul>
        </Section>
      )}
      {run.related && run.related.length > 0 && (
        <Section title="Belongs to">
          <ul className="jp-MLOps-plainList">
            {run.related.map(item => (
              <li key={`${item.kind}/${item.id}`}>
                <span className="jp-MLOps-kind">{item.kind}</span>{' '}
                {/^[0-9a-f]{32}$/.test(item.id) ? (
                  <RunLink
                    runId={item.id}
                    label={item.label}
                    openRun={actions.openRun}
                  />
                ) : (
                  item.label
                )}
              </li>
            ))}
          </ul>
        </Section>
      )}
      <ArtifactsSection run={run} actions={actions} />
      <Section title={`Tags (${Object.keys(run.tags ?? {}).length})`} closed>
        <KeyValues values={run.tags ?? {}} mono />
      </Section>
    </div>
  );
}

function Section(props: {
  title: string;
  children?: React.ReactNode;
  closed?: boolean;
  empty?: boolean;
}): React.ReactElement {
  return (
    <details
      className="jp-MLOps-runViewSection"
      open={!props.closed}
      data-section={props.title.split(' (')[0]}
    >
      <summary>{props.title}</summary>
      {props.empty ? <p className="jp-MLOps-muted">None.</p> : props.children}
    </details>
  );
}

function KeyValues(props: {
  values: Record<string, string | number>;
  mono?: boolean;
}): React.ReactElement {
  const entries = Object.entries(props.values).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return (
    <table className="jp-MLOps-kvTable">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td className={props.mono ? 'jp-mod-mono' : ''}>{String(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MetricsSection(props: { run: RunDetail }): React.ReactElement {
  const { run } = props;
  const history = run.metric_history ?? {};
  const charted = Object.entries(history).filter(
    ([, points]) => points.length > 1
  );
  const option = useMemo<ChartOption>(
    () => ({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 50, right: 20, top: 36, bottom: 40 },
      xAxis: {
        type: 'value',
        name: 'step',
        nameLocation: 'middle',
        nameGap: 26,
        minInterval: 1
      },
      yAxis: { type: 'value', scale: true },
      series: charted.map(([key, points]) => ({
        name: key,
        type: 'line',
        showSymbol: points.length <= 50,
        data: points.map(point => [point.step, point.value])
      }))
    }),
    [run.metric_history]
  );
  return (
    <Section
      title="Metrics"
      empty={!Object.keys(run.metrics).length && !charted.length}
    >
      <table className="jp-MLOps-kvTable">
        <thead>
          <tr>
            <th>metric</th>
            <th>last</th>
            <th>steps</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(run.metrics)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, value]) => (
              <tr key={key}>
                <th scope="row">{key}</th>
                <td title={String(value)}>{formatMetric(value)}</td>
                <td>{history[key]?.length ?? 1}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {charted.length > 0 && (
        <Chart
          option={option}
          height={280}
          label={`Metrics over steps: ${charted.map(([key]) => key).join(', ')}`}
          className="jp-MLOps-metricChart"
        />
      )}
    </Section>
  );
}

function ErrorSection(props: { run: RunDetail }): React.ReactElement {
  const error = props.run.error_detail!;
  const where =
    error.cell_index !== null && error.cell_index !== undefined
      ? ` (cell ${error.cell_index}${
          error.execution_count ? `, [${error.execution_count}]` : ''
        })`
      : '';
  return (
    <Section title="Error">
      <p className="jp-MLOps-runViewError">
        <strong>{error.type}</strong>
        {where}: {error.message}
      </p>
      {error.traceback && (
        <pre className="jp-MLOps-traceback">{error.traceback}</pre>
      )}
    </Section>
  );
}

function NotebookButtons(props: {
  run: RunDetail;
  actions: IRunViewActions;
}): React.ReactElement {
  const { run, actions } = props;
  const [problem, setProblem] = useState<string | null>(null);
  const open = (path: string) => {
    setProblem(null);
    openRunNotebook(run.run_id, path).then(actions.openFile, reason =>
      setProblem(messageOf(reason))
    );
  };
  return (
    <div className="jp-MLOps-notebookButtons">
      {run.notebooks?.map(path => (
        <button
          key={path}
          className="jp-MLOps-button"
          title={`Open ${path} in JupyterLab`}
          onClick={() => open(path)}
        >
          {path.startsWith('notebook/') && run.kind === 'step'
            ? 'Open executed notebook'
            : `Open ${path.split('/').pop()}`}
        </button>
      ))}
      {problem && <span className="jp-MLOps-errorText">{problem}</span>}
    </div>
  );
}

function GitSection(props: { run: RunDetail }): React.ReactElement {
  const git = props.run.git!;
  return (
    <Section title="Git">
      <p>
        <code>{git.commit ?? '(no commit)'}</code>{' '}
        {git.branch && `on ${git.branch}`}
        {git.dirty && (
          <span className="jp-MLOps-tag"> uncommitted changes</span>
        )}
      </p>
      {git.diff && (
        <details className="jp-MLOps-diff">
          <summary>Diff{git.diff_truncated ? ' (truncated)' : ''}</summary>
          <pre className="jp-MLOps-traceback">{git.diff}</pre>
        </details>
      )}
    </Section>
  );
}

function EnvironmentSection(props: { run: RunDetail }): React.ReactElement {
  const environment = props.run.environment!;
  const [query, setQuery] = useState('');
  const packages = Object.entries(environment.packages ?? {}).filter(([name]) =>
    name.toLowerCase().includes(query.toLowerCase())
  );
  return (
    <Section title="Environment">
      <p>
        Python {environment.python ?? '?'} · {environment.platform ?? ''}
      </p>
      <input
        type="search"
        className="jp-MLOps-packageFilter"
        placeholder="Filter packages"
        aria-label="Filter packages"
        value={query}
        onChange={event => setQuery(event.target.value)}
      />
      <table className="jp-MLOps-kvTable">
        <tbody>
          {packages.slice(0, 500).map(([name, version]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{version}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function ArtifactsSection(props: {
  run: RunDetail;
  actions: IRunViewActions;
}): React.ReactElement {
  const { run, actions } = props;
  const [problem, setProblem] = useState<string | null>(null);
  const files = (run.artifacts ?? []).filter(entry => !entry.is_dir);
  return (
    <Section title={`Artifacts (${files.length})`} empty={!files.length}>
      <ul className="jp-MLOps-plainList jp-MLOps-artifacts">
        {files.map(entry => (
          <li key={entry.path}>
            <button
              className="jp-MLOps-link"
              title={
                entry.path.endsWith('.ipynb')
                  ? 'Open in JupyterLab'
                  : 'Download'
              }
              onClick={() => {
                setProblem(null);
                const done = entry.path.endsWith('.ipynb')
                  ? openRunNotebook(run.run_id, entry.path).then(
                      actions.openFile
                    )
                  : downloadArtifact(run.run_id, entry.path);
                done.catch(reason => setProblem(messageOf(reason)));
              }}
            >
              {entry.path}
            </button>
            {entry.size !== null && entry.size !== undefined && (
              <span className="jp-MLOps-muted"> {formatBytes(entry.size)}</span>
            )}
          </li>
        ))}
      </ul>
      {problem && <p className="jp-MLOps-errorText">{problem}</p>}
    </Section>
  );
}

function ChildTable(props: {
  runs: Run[];
  openRun: (runId: string) => void;
}): React.ReactElement {
  return (
    <table className="jp-MLOps-kvTable jp-MLOps-children">
      <tbody>
        {props.runs.map(child => (
          <tr key={child.run_id} data-run-id={child.run_id}>
            <td>
              {child.cached ? (
                <StatusBadge status="CACHED" label="cached" />
              ) : (
                <StatusBadge status={child.status} />
              )}
            </td>
            <td>
              <RunLink
                runId={child.run_id}
                label={child.run_name ?? undefined}
                openRun={props.openRun}
              />
            </td>
            <td>
              {child.cached && child.cached_from_run_id ? (
                <>
                  from{' '}
                  <RunLink
                    runId={child.cached_from_run_id}
                    openRun={props.openRun}
                  />
                </>
              ) : child.duration_s !== null &&
                child.duration_s !== undefined ? (
                formatDuration(child.duration_s)
              ) : (
                ''
              )}
            </td>
            <td className="jp-MLOps-runViewError">{child.error ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function formatBytes(size: number): string {
  if (size < 1024) {
    return `${size} B`;
  }
  if (size < 1024 * 1024) {
    return `${(size / 1024).toFixed(1)} KB`;
  }
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
