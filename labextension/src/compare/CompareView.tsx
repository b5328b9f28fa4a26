import React, { useEffect, useRef, useState } from 'react';

import {
  Comparison,
  compareRuns,
  MetricColumn,
  ParamColumn
} from '../api/comparison';
import { ErrorMessage, Loading, RunLink } from '../components';
import { useLoadable, useMlflowUi } from '../hooks';
import { mlflowUiUrl } from '../mlflowUi';
import { ParallelChart, Scatter, StepCharts } from './charts';
import { num, runLabel, signed, verdict } from './format';

/** Runs shown as table columns at first (then "show more"). */
const RUN_COLUMNS = 12;

type GroupMode = 'none' | 'by' | 'except';

/**
 * Compare 2–1000 runs: params (differing highlighted, identical collapsed), metrics
 * with deltas against a chosen baseline, step charts, parallel coordinates, a
 * param-vs-metric scatter and groups with mean ± std (n).
 */
export function CompareView(props: {
  runIds: string[];
  openRun: (runId: string) => void;
  diffRuns: (runA: string, runB: string) => void;
}): React.ReactElement {
  const [baseline, setBaseline] = useState<string | null>(null);
  const [groupMode, setGroupMode] = useState<GroupMode>('none');
  const [groupKeys, setGroupKeys] = useState<string[]>([]);
  const [reload, setReload] = useState(0);
  const groupBy = groupMode === 'by' && groupKeys.length ? groupKeys : null;
  const groupExcept = groupMode === 'except' ? groupKeys : null;
  const loaded = useLoadable(
    signal =>
      compareRuns(props.runIds, { baseline, groupBy, groupExcept }, { signal }),
    [props.runIds.join(','), baseline, groupMode, groupKeys.join(','), reload]
  );

  if (loaded.state === 'loading') {
    return <Loading />;
  }
  if (loaded.state === 'error') {
    return (
      <ErrorMessage
        message={loaded.message}
        onRetry={() => setReload(n => n + 1)}
      />
    );
  }
  return (
    <ComparisonBody
      comparison={loaded.value}
      openRun={props.openRun}
      diffRuns={props.diffRuns}
      onBaseline={setBaseline}
      groupMode={groupMode}
      groupKeys={groupKeys}
      onGrouping={(mode, keys) => {
        setGroupMode(mode);
        setGroupKeys(keys);
      }}
    />
  );
}

function ComparisonBody(props: {
  comparison: Comparison;
  openRun: (runId: string) => void;
  diffRuns: (runA: string, runB: string) => void;
  onBaseline: (runId: string) => void;
  groupMode: GroupMode;
  groupKeys: string[];
  onGrouping: (mode: GroupMode, keys: string[]) => void;
}): React.ReactElement {
  useMlflowUi();
  const { comparison } = props;
  const root = useRef<HTMLDivElement>(null);
  const [columns, setColumns] = useState(RUN_COLUMNS);
  const shown = Math.min(columns, comparison.runs.length);
  const baselineRun = comparison.runs[comparison.baseline];

  // The paint marker: set once the tables and the charts of this answer are drawn
  // (children's effects, which draw the charts, run before this one).
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      root.current?.setAttribute('data-painted', 'true');
      performance.mark('mlops-compare-painted');
    });
    return () => cancelAnimationFrame(frame);
  }, [comparison]);

  const header = (
    <tr>
      <th className="jp-MLOps-compare-key" />
      {comparison.runs.slice(0, shown).map((run, index) => (
        <th
          key={run.run_id}
          className={
            index === comparison.baseline ? 'jp-MLOps-compare-baseline' : ''
          }
        >
          <RunLink
            runId={run.run_id}
            label={runLabel(comparison, index)}
            openRun={props.openRun}
          />
          {index === comparison.baseline ? (
            <span className="jp-MLOps-compare-tag">baseline</span>
          ) : (
            <button
              className="jp-MLOps-link jp-MLOps-compare-diff"
              title={`Diff ${baselineRun.run_name ?? ''} ↔ ${run.run_name ?? ''}`}
              onClick={() => props.diffRuns(baselineRun.run_id, run.run_id)}
            >
              diff
            </button>
          )}
        </th>
      ))}
      {shown < comparison.runs.length ? <th /> : null}
    </tr>
  );
  const more =
    shown < comparison.runs.length ? (
      <td className="jp-MLOps-compare-more" rowSpan={1}>
        <button
          className="jp-MLOps-link"
          onClick={() => setColumns(c => c + RUN_COLUMNS * 4)}
        >
          {comparison.runs.length - shown} more runs (show)
        </button>
      </td>
    ) : null;

  return (
    <div className="jp-MLOps-compare" ref={root}>
      <div className="jp-MLOps-compare-toolbar">
        <span>
          {comparison.runs.length} runs
          {mlflowLink(comparison)}
        </span>
        <label>
          Baseline{' '}
          <select
            aria-label="Baseline run"
            value={baselineRun.run_id}
            onChange={event => props.onBaseline(event.target.value)}
          >
            {comparison.runs.map((run, index) => (
              <option key={run.run_id} value={run.run_id}>
                {runLabel(comparison, index)} ({run.run_id.slice(0, 8)})
              </option>
            ))}
          </select>
        </label>
      </div>
      <ParamsTable
        comparison={comparison}
        shown={shown}
        header={header}
        more={more}
      />
      <MetricsTable
        comparison={comparison}
        shown={shown}
        header={header}
        more={more}
      />
      <Groups
        comparison={comparison}
        mode={props.groupMode}
        keys={props.groupKeys}
        onChange={props.onGrouping}
      />
      <h3 className="jp-MLOps-compare-heading">Parallel coordinates</h3>
      <ParallelChart comparison={comparison} />
      <Scatter comparison={comparison} />
      <StepCharts comparison={comparison} />
    </div>
  );
}

function mlflowLink(comparison: Comparison): React.ReactNode {
  const url = mlflowUiUrl({ experimentId: comparison.runs[0].experiment_id });
  return url ? (
    <a
      className="jp-MLOps-link jp-MLOps-compare-mlflow"
      href={url}
      target="_blank"
      rel="noreferrer"
    >
      MLflow UI
    </a>
  ) : null;
}

function ParamsTable(props: {
  comparison: Comparison;
  shown: number;
  header: React.ReactNode;
  more: React.ReactNode;
}): React.ReactElement {
  const [identical, setIdentical] = useState(false);
  const params = props.comparison.params;
  const differing = params.filter(p => p.differs);
  const same = params.length - differing.length;
  const rows = identical ? params : differing;
  return (
    <section>
      <h3 className="jp-MLOps-compare-heading">Params</h3>
      {params.length === 0 ? (
        <p className="jp-MLOps-empty">No params logged.</p>
      ) : (
        <div className="jp-MLOps-compare-scroll">
          <table className="jp-MLOps-compare-table" aria-label="Params">
            <thead>{props.header}</thead>
            <tbody>
              {rows.map((param, row) => (
                <ParamRow
                  key={param.key}
                  param={param}
                  shown={props.shown}
                  more={row === 0 ? props.more : null}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {same > 0 ? (
        <button
          className="jp-MLOps-link jp-MLOps-compare-identical"
          onClick={() => setIdentical(!identical)}
        >
          {identical ? `hide ${same} identical` : `${same} identical (show)`}
        </button>
      ) : null}
    </section>
  );
}

function ParamRow(props: {
  param: ParamColumn;
  shown: number;
  more: React.ReactNode;
}): React.ReactElement {
  const { param } = props;
  return (
    <tr className={param.differs ? 'jp-MLOps-compare-differs' : ''}>
      <th className="jp-MLOps-compare-key" title={param.key}>
        {param.key}
      </th>
      {param.values.slice(0, props.shown).map((value, index) => (
        <td key={index} title={value ?? 'not set'}>
          {value ?? '–'}
        </td>
      ))}
      {props.more}
    </tr>
  );
}

function MetricsTable(props: {
  comparison: Comparison;
  shown: number;
  header: React.ReactNode;
  more: React.ReactNode;
}): React.ReactElement {
  const metrics = props.comparison.metrics;
  return (
    <section>
      <h3 className="jp-MLOps-compare-heading">
        Metrics{' '}
        <span className="jp-MLOps-compare-note">
          (delta vs baseline; ↑ higher is better, ↓ lower)
        </span>
      </h3>
      {metrics.length === 0 ? (
        <p className="jp-MLOps-empty">No metrics logged.</p>
      ) : (
        <div className="jp-MLOps-compare-scroll">
          <table className="jp-MLOps-compare-table" aria-label="Metrics">
            <thead>{props.header}</thead>
            <tbody>
              {metrics.map((metric, row) => (
                <MetricRow
                  key={metric.key}
                  metric={metric}
                  shown={props.shown}
                  more={row === 0 ? props.more : null}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function MetricRow(props: {
  metric: MetricColumn;
  shown: number;
  more: React.ReactNode;
}): React.ReactElement {
  const { metric } = props;
  const arrow =
    metric.higher_is_better === true
      ? ' ↑'
      : metric.higher_is_better === false
        ? ' ↓'
        : '';
  return (
    <tr>
      <th className="jp-MLOps-compare-key" title={metric.key}>
        {metric.key}
        {arrow}
      </th>
      {metric.values.slice(0, props.shown).map((value, index) => (
        <td
          key={index}
          className={index === metric.best ? 'jp-MLOps-compare-best' : ''}
          title={value === null ? 'not logged' : String(value)}
        >
          {num(value)}{' '}
          <span
            className={verdict(metric.deltas[index], metric.higher_is_better)}
          >
            {signed(metric.deltas[index])}
          </span>
        </td>
      ))}
      {props.more}
    </tr>
  );
}

function Groups(props: {
  comparison: Comparison;
  mode: GroupMode;
  keys: string[];
  onChange: (mode: GroupMode, keys: string[]) => void;
}): React.ReactElement {
  const { comparison } = props;
  const keys = comparison.params.map(p => p.key);
  return (
    <section>
      <h3 className="jp-MLOps-compare-heading">Group</h3>
      <div className="jp-MLOps-compare-toolbar">
        <select
          aria-label="Group mode"
          value={props.mode}
          onChange={event =>
            props.onChange(event.target.value as GroupMode, props.keys)
          }
        >
          <option value="none">no grouping</option>
          <option value="by">group by</option>
          <option value="except">group by all but</option>
        </select>
        {props.mode !== 'none' ? (
          <select
            multiple
            aria-label="Group params"
            size={Math.min(4, Math.max(2, keys.length))}
            value={props.keys}
            onChange={event =>
              props.onChange(
                props.mode,
                Array.from(event.target.selectedOptions, o => o.value)
              )
            }
          >
            {keys.map(key => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        ) : null}
      </div>
      {comparison.groups.length ? (
        <div className="jp-MLOps-compare-scroll">
          <table className="jp-MLOps-compare-table" aria-label="Groups">
            <thead>
              <tr>
                {comparison.group_keys.map(key => (
                  <th key={key}>{key}</th>
                ))}
                <th>n</th>
                {comparison.metrics.map(metric => (
                  <th key={metric.key}>{metric.key}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {comparison.groups.slice(0, 200).map((group, index) => (
                <tr key={index}>
                  {comparison.group_keys.map(key => (
                    <td key={key}>{group.values[key] ?? '–'}</td>
                  ))}
                  <td>{group.n}</td>
                  {comparison.metrics.map(metric => {
                    const stats = group.metrics[metric.key];
                    return (
                      <td key={metric.key}>
                        {stats
                          ? stats.std === null
                            ? `${num(stats.mean)} (${stats.n})`
                            : `${num(stats.mean)} ± ${num(stats.std, 2)} (${stats.n})`
                          : '–'}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : props.mode !== 'none' ? (
        <p className="jp-MLOps-empty">Choose params to group by.</p>
      ) : null}
    </section>
  );
}
