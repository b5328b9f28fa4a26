import React, { useEffect, useRef, useState } from 'react';

import { CellDiff, diffRuns, RunDiff, RunSummary } from '../api/comparison';
import { ErrorMessage, Loading, RunLink } from '../components';
import { useLoadable } from '../hooks';
import { num } from './format';

/** A run's short label: its name, else its short id. */
export function shortName(run: {
  run_name?: string | null;
  run_id: string;
}): string {
  return run.run_name || run.run_id.slice(0, 8);
}

/**
 * What differs between two runs: notebook cells (changed side by side, added and
 * removed marked, unchanged collapsed), params, environment, data fingerprints and
 * metric deltas.
 */
export function DiffView(props: {
  runA: string;
  runB: string;
  openRun: (runId: string) => void;
}): React.ReactElement {
  const [reload, setReload] = useState(0);
  const loaded = useLoadable(
    signal => diffRuns(props.runA, props.runB, { signal }),
    [props.runA, props.runB, reload]
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
  return <DiffBody diff={loaded.value} openRun={props.openRun} />;
}

function DiffBody(props: {
  diff: RunDiff;
  openRun: (runId: string) => void;
}): React.ReactElement {
  const { diff } = props;
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    root.current?.setAttribute('data-painted', 'true');
  }, [diff]);
  return (
    <div className="jp-MLOps-diff" ref={root}>
      <div className="jp-MLOps-diff-runs">
        <RunHeader side="a" run={diff.a} openRun={props.openRun} />
        <span className="jp-MLOps-diff-arrow">↔</span>
        <RunHeader side="b" run={diff.b} openRun={props.openRun} />
      </div>
      <Cells diff={diff} />
      <h3 className="jp-MLOps-compare-heading">
        Params{' '}
        <span className="jp-MLOps-compare-note">
          ({diff.equal_params} equal not shown)
        </span>
      </h3>
      <SmallTable
        label="Param differences"
        head={['param', 'a', 'b', '']}
        rows={diff.params.map(p => [p.key, p.a ?? '–', p.b ?? '–', p.status])}
        empty="No param differs."
      />
      <h3 className="jp-MLOps-compare-heading">Environment</h3>
      <SmallTable
        label="Environment differences"
        head={['package', 'a', 'b']}
        rows={diff.environment.map(e => [e.package, e.a ?? '–', e.b ?? '–'])}
        empty="Same package versions."
      />
      <h3 className="jp-MLOps-compare-heading">Data inputs</h3>
      <SmallTable
        label="Data fingerprints"
        head={['input', 'a', 'b', '']}
        rows={diff.fingerprints.map(f => [
          f.name,
          f.a ?? '–',
          f.b ?? '–',
          f.changed ? 'changed' : 'same'
        ])}
        empty="No data fingerprints recorded."
      />
      <h3 className="jp-MLOps-compare-heading">Metrics</h3>
      <SmallTable
        label="Metric deltas"
        head={['metric', 'a', 'b', 'b − a']}
        rows={diff.metrics.map(m => [
          m.key,
          num(m.a),
          num(m.b),
          m.delta === null || m.delta === undefined
            ? '–'
            : (m.delta > 0 ? '+' : '') + num(m.delta, 3)
        ])}
        empty="No metrics logged."
      />
    </div>
  );
}

function RunHeader(props: {
  side: string;
  run: RunSummary;
  openRun: (runId: string) => void;
}): React.ReactElement {
  const started = props.run.start_time
    ? new Date(props.run.start_time).toLocaleString()
    : '';
  return (
    <div className="jp-MLOps-diff-run">
      <span className="jp-MLOps-diff-side">{props.side}</span>
      <RunLink
        runId={props.run.run_id}
        label={shortName(props.run)}
        openRun={props.openRun}
      />
      <span className="jp-MLOps-compare-note">
        {props.run.status} {started}
      </span>
    </div>
  );
}

function Cells(props: { diff: RunDiff }): React.ReactElement {
  const notebook = props.diff.notebook;
  const [open, setOpen] = useState<Set<number>>(new Set());
  if (!notebook.available) {
    return (
      <section>
        <h3 className="jp-MLOps-compare-heading">Notebook</h3>
        <p className="jp-MLOps-empty">Not compared: {notebook.reason}</p>
      </section>
    );
  }
  const counts: Record<string, number> = {};
  for (const cell of notebook.cells) {
    counts[cell.status] = (counts[cell.status] ?? 0) + 1;
  }
  // Runs of unchanged cells collapse into one "N unchanged cells" line.
  const blocks: { start: number; cells: CellDiff[]; unchanged: boolean }[] = [];
  notebook.cells.forEach((cell, index) => {
    const unchanged = cell.status === 'unchanged';
    const last = blocks[blocks.length - 1];
    if (last && unchanged && last.unchanged) {
      last.cells.push(cell);
    } else {
      blocks.push({ start: index, cells: [cell], unchanged });
    }
  });
  return (
    <section>
      <h3 className="jp-MLOps-compare-heading">
        Notebook{' '}
        <span className="jp-MLOps-compare-note">
          {notebook.a_name === notebook.b_name
            ? notebook.a_name
            : `${notebook.a_name} ↔ ${notebook.b_name}`}
          {': '}
          {Object.entries(counts)
            .map(([status, n]) => `${n} ${status}`)
            .join(', ')}
        </span>
      </h3>
      <div className="jp-MLOps-diff-cells">
        {blocks.map(block =>
          block.unchanged && !open.has(block.start) ? (
            <button
              key={block.start}
              className="jp-MLOps-link jp-MLOps-diff-collapsed"
              onClick={() => setOpen(new Set([...open, block.start]))}
            >
              {block.cells.length} unchanged cell
              {block.cells.length === 1 ? '' : 's'}
            </button>
          ) : (
            block.cells.map((cell, i) => (
              <CellView key={block.start + i} cell={cell} />
            ))
          )
        )}
      </div>
    </section>
  );
}

function where(cell: CellDiff): string {
  const a = cell.a_index !== null && cell.a_index !== undefined;
  const b = cell.b_index !== null && cell.b_index !== undefined;
  return [a ? `a[${cell.a_index}]` : '', b ? `b[${cell.b_index}]` : '']
    .filter(Boolean)
    .join(' → ');
}

function CellView(props: { cell: CellDiff }): React.ReactElement {
  const { cell } = props;
  let body: React.ReactNode;
  if (cell.status === 'changed') {
    body = cell.lines.map((line, index) => (
      <div
        key={index}
        className={
          line.op === '+'
            ? 'jp-MLOps-diff-add'
            : line.op === '-'
              ? 'jp-MLOps-diff-del'
              : ''
        }
      >
        <span className="jp-MLOps-diff-op">{line.op}</span>
        {line.text}
      </div>
    ));
  } else {
    const source = cell.status === 'removed' ? cell.a_source : cell.b_source;
    const cls =
      cell.status === 'added'
        ? 'jp-MLOps-diff-add'
        : cell.status === 'removed'
          ? 'jp-MLOps-diff-del'
          : '';
    const op =
      cell.status === 'added' ? '+' : cell.status === 'removed' ? '-' : ' ';
    body = (source ?? '').split('\n').map((text, index) => (
      <div key={index} className={cls}>
        <span className="jp-MLOps-diff-op">{op}</span>
        {text}
      </div>
    ));
  }
  return (
    <div
      className={`jp-MLOps-diff-cell jp-MLOps-diff-${cell.status}`}
      data-status={cell.status}
    >
      <div className="jp-MLOps-diff-cellhead">
        <span
          className={`jp-MLOps-diff-badge jp-MLOps-diff-badge-${cell.status}`}
        >
          {cell.status}
        </span>
        <span className="jp-MLOps-compare-note">
          {cell.cell_type} cell {where(cell)}
        </span>
      </div>
      <pre className="jp-MLOps-diff-source">{body}</pre>
    </div>
  );
}

function SmallTable(props: {
  label: string;
  head: string[];
  rows: string[][];
  empty: string;
}): React.ReactElement {
  if (!props.rows.length) {
    return <p className="jp-MLOps-empty">{props.empty}</p>;
  }
  return (
    <div className="jp-MLOps-compare-scroll">
      <table className="jp-MLOps-compare-table" aria-label={props.label}>
        <thead>
          <tr>
            {props.head.map((cell, index) => (
              <th key={index}>{cell}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, index) => (
            <tr key={index}>
              {row.map((cell, column) => (
                <td
                  key={column}
                  title={cell}
                  className={
                    cell === 'changed' || cell === 'added' || cell === 'removed'
                      ? 'jp-MLOps-compare-differs'
                      : ''
                  }
                >
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
