import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

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

/**
 * The Runs section: experiments, each expanding to its most recent runs.
 */
export function RunsSection(props: ISectionProps): React.ReactElement {
  const [status, setStatus] = useState<RunStatus | null>(null);
  const [localToken, setLocalToken] = useState(0);
  const reloadToken = props.refreshToken + localToken;
  const experiments = useLoadable<Experiment[]>(
    signal => listExperiments({ signal }),
    [reloadToken]
  );

  const reload = () => setLocalToken(token => token + 1);

  return (
    <SectionShell
      className="jp-MLOps-runs"
      what="runs"
      onRefresh={reload}
      toolbar={
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
                status={status}
                pageSize={props.settings.runsPageSize}
                reloadToken={reloadToken}
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
