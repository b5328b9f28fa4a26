import React, { useCallback, useEffect, useRef, useState } from 'react';

import { messageOf } from '../../api/request';
import { Experiment, listRuns, Run, RunStatus } from '../../api/runs';
import { Caret, ErrorMessage, Loading, statusLabel } from '../../components';
import { formatAbsolute, formatRelative } from '../../format';
import { RunItem } from './RunItem';

interface IRunsState {
  runs: Run[];
  nextPageToken: string | null;
  loading: boolean;
  error: string | null;
}

const NO_RUNS: IRunsState = {
  runs: [],
  nextPageToken: null,
  loading: true,
  error: null
};

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
      listRuns(
        experimentId,
        { status, maxResults: pageSize, pageToken },
        { signal }
      ).then(
        page =>
          setState(current => ({
            runs: pageToken ? [...current.runs, ...page.runs] : page.runs,
            nextPageToken: page.next_page_token,
            loading: false,
            error: null
          })),
        reason => {
          if (!signal.aborted) {
            setState(current => ({
              ...current,
              loading: false,
              error: messageOf(reason)
            }));
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

/**
 * One experiment: a header that expands to its runs, a page at a time.
 */
export function ExperimentItem(props: {
  experiment: Experiment;
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

  return (
    <li
      className="jp-MLOps-experiment"
      data-experiment-id={experiment.experiment_id}
    >
      <button
        className="jp-MLOps-experimentHeader"
        aria-expanded={expanded}
        title={`Experiment ${experiment.experiment_id}`}
        onClick={() => setExpanded(!expanded)}
      >
        <Caret open={expanded} />
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
                `No ${statusLabel(status).toLowerCase()} runs in this experiment.`
              ) : (
                <>
                  No runs yet. Run <code>%mlops track</code> in a notebook to
                  record cells here.
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
