import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useCallback, useState } from 'react';

import {
  Experiment,
  FILTERABLE_STATUSES,
  listExperiments,
  RunStatus
} from '../../api/runs';
import {
  ErrorMessage,
  Loading,
  SectionShell,
  statusLabel
} from '../../components';
import { useLoadable } from '../../hooks';
import { mlopsIcon } from '../../icons';
import { ISectionProps } from '../Panel';
import { ExperimentItem } from './ExperimentItem';
import { BY_DURATION } from './useRunList';

const FIXED_ORDERS = [
  { label: 'Newest first', value: '' },
  { label: 'Oldest first', value: 'start_time ASC' },
  { label: 'Name', value: 'run_name ASC' },
  { label: 'Status', value: 'status ASC' },
  { label: 'Duration (loaded runs)', value: BY_DURATION },
  { label: 'Ended last', value: 'end_time DESC' }
];

/** The most runs "Compare" takes at once. */
const MAX_COMPARE = 1000;

/**
 * The Runs section: experiments as trees of runs (session → cells, pipeline →
 * steps), a search in MLflow's filter syntax, sorting by any metric or parameter,
 * a status filter, selection for Compare / Diff; refreshes itself while runs run.
 */
export function RunsSection(props: ISectionProps): React.ReactElement {
  const [status, setStatus] = useState<RunStatus | null>(null);
  const [draft, setDraft] = useState('');
  const [filter, setFilter] = useState<string | null>(null);
  const [orderBy, setOrderBy] = useState<string | null>(null);
  const [keys, setKeys] = useState<string[]>([]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [localToken, setLocalToken] = useState(0);
  const reloadToken = props.refreshToken + localToken;
  const experiments = useLoadable<Experiment[]>(
    signal => listExperiments({ signal }),
    [reloadToken]
  );
  const reload = () => setLocalToken(token => token + 1);
  const toggle = (runId: string) =>
    setSelected(current => {
      const next = new Set(current);
      if (!next.delete(runId)) {
        next.add(runId);
      }
      return next;
    });
  const onKeys = useCallback(
    (seen: string[]) =>
      setKeys(current => {
        const missing = seen.filter(key => !current.includes(key));
        return missing.length ? [...current, ...missing].sort() : current;
      }),
    []
  );
  const view = {
    status,
    filter,
    orderBy,
    reloadToken,
    selected,
    toggle,
    openRun: props.context.openRun
  };
  const chosen = [...selected];

  return (
    <SectionShell
      className="jp-MLOps-runs"
      what="runs"
      onRefresh={reload}
      toolbar={
        <div className="jp-MLOps-runsToolbar">
          <form
            className="jp-MLOps-runSearch"
            onSubmit={event => {
              event.preventDefault();
              setFilter(draft.trim() || null);
            }}
          >
            <input
              type="search"
              className="jp-MLOps-runSearchInput"
              aria-label="Search runs (MLflow filter)"
              placeholder="Search: metrics.accuracy > 0.9"
              title={
                "MLflow filter syntax, e.g. metrics.accuracy > 0.9 and params.model = 'forest'; press Enter"
              }
              value={draft}
              onChange={event => {
                setDraft(event.target.value);
                if (!event.target.value) {
                  setFilter(null);
                }
              }}
            />
          </form>
          <div className="jp-MLOps-runsControls">
            <label className="jp-MLOps-filter">
              <span>Sort</span>
              <HTMLSelect
                className="jp-MLOps-runSort"
                aria-label="Sort runs"
                value={orderBy ?? ''}
                onChange={event => setOrderBy(event.target.value || null)}
                options={[
                  ...FIXED_ORDERS,
                  ...keys.flatMap(key => [
                    { label: `${key} ↓`, value: `${key} DESC` },
                    { label: `${key} ↑`, value: `${key} ASC` }
                  ])
                ]}
              />
            </label>
            <label className="jp-MLOps-filter">
              <span>Status</span>
              <HTMLSelect
                className="jp-MLOps-statusFilter"
                aria-label="Filter runs by status"
                value={status ?? ''}
                onChange={event =>
                  setStatus((event.target.value as RunStatus) || null)
                }
                options={[
                  { label: 'All', value: '' },
                  ...FILTERABLE_STATUSES.map(value => ({
                    label: statusLabel(value),
                    value
                  }))
                ]}
              />
            </label>
          </div>
          {selected.size > 0 && (
            <div className="jp-MLOps-runsSelection">
              <span>{selected.size} selected</span>
              <button
                className="jp-MLOps-button"
                disabled={selected.size < 2 || selected.size > MAX_COMPARE}
                title="Compare the selected runs (2–1000)"
                onClick={() => props.context.compareRuns(chosen)}
              >
                Compare ({selected.size})
              </button>
              <button
                className="jp-MLOps-button"
                disabled={selected.size !== 2}
                title="What changed between exactly two runs"
                onClick={() => props.context.diffRuns(chosen[0], chosen[1])}
              >
                Diff
              </button>
              <button
                className="jp-MLOps-link"
                onClick={() => setSelected(new Set())}
              >
                Clear
              </button>
            </div>
          )}
        </div>
      }
    >
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
                view={view}
                pageSize={props.settings.runsPageSize}
                initiallyOpen={false}
                onKeys={onKeys}
              />
            ))}
          </ul>
        ))}
    </SectionShell>
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
