import React, { useEffect, useState } from 'react';

import { Experiment } from '../../api/runs';
import { Caret, ErrorMessage, Loading, statusLabel } from '../../components';
import { formatAbsolute, formatRelative } from '../../format';
import { useMlflowUi } from '../../hooks';
import { mlflowUiUrl } from '../../mlflowUi';
import { RunItem } from './RunItem';
import { IRunsView } from './view';
import { useRunList } from './useRunList';

/**
 * One experiment: a header that expands to its top-level runs (sessions, pipelines,
 * checks...), each expanding to its children — or, with a search, the matching runs.
 */
export function ExperimentItem(props: {
  experiment: Experiment;
  view: Omit<IRunsView, 'experimentId'>;
  pageSize: number;
  initiallyOpen: boolean;
  onKeys: (keys: string[]) => void;
}): React.ReactElement {
  const { experiment } = props;
  const view: IRunsView = {
    ...props.view,
    experimentId: experiment.experiment_id
  };
  const [expanded, setExpanded] = useState(props.initiallyOpen);
  useEffect(() => {
    if (view.filter) {
      setExpanded(true);
    }
  }, [view.filter]);
  const [runs, loadMore] = useRunList(
    experiment.experiment_id,
    {
      status: view.status,
      filter: view.filter,
      orderBy: view.orderBy,
      maxResults: props.pageSize
    },
    expanded,
    view.reloadToken
  );
  const { onKeys } = props;
  useEffect(() => {
    const keys = new Set<string>();
    for (const run of runs.runs) {
      Object.keys(run.metrics).forEach(key => keys.add(`metrics.${key}`));
      Object.keys(run.params).forEach(key => keys.add(`params.${key}`));
    }
    if (keys.size) {
      onKeys([...keys]);
    }
  }, [runs.runs, onKeys]);
  useMlflowUi();
  const uiUrl = mlflowUiUrl({ experimentId: experiment.experiment_id });

  return (
    <li
      className="jp-MLOps-experiment"
      data-experiment-id={experiment.experiment_id}
    >
      <div className="jp-MLOps-experimentRow">
        <button
          className="jp-MLOps-experimentHeader"
          aria-expanded={expanded}
          title={`Experiment ${experiment.name} (${experiment.experiment_id})`}
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
        {uiUrl && (
          <a
            className="jp-MLOps-mlflowLink"
            href={uiUrl}
            target="_blank"
            rel="noreferrer"
            title="Open this experiment in the MLflow UI"
          >
            MLflow UI
          </a>
        )}
      </div>
      {expanded && (
        <div className="jp-MLOps-experimentBody">
          {runs.runs.length > 0 && (
            <ul className="jp-MLOps-runList">
              {runs.runs.map(run => (
                <RunItem key={run.run_id} run={run} view={view} depth={0} />
              ))}
            </ul>
          )}
          {runs.error !== null && (
            <ErrorMessage message={runs.error} onRetry={loadMore} />
          )}
          {runs.loading && <Loading />}
          {!runs.loading && runs.error === null && runs.runs.length === 0 && (
            <p className="jp-MLOps-note">
              {view.filter ? (
                'No run matches the search.'
              ) : view.status ? (
                `No ${statusLabel(view.status).toLowerCase()} runs in this experiment.`
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
