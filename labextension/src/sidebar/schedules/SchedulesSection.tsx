import { addIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useState } from 'react';

import {
  isJobActive,
  listSchedules,
  SchedulerState,
  ScheduleList
} from '../../api/schedules';
import { ErrorMessage, Loading, SectionShell } from '../../components';
import { useLoadable, usePolling } from '../../hooks';
import { ISectionProps } from '../Panel';
import { ScheduleForm } from './ScheduleForm';
import { ScheduleItem } from './ScheduleItem';
import { BUSY_POLL_MS, IDLE_POLL_MS, SOON_MS } from './timing';

/**
 * The Schedules section: cron schedules of notebooks and pipeline files, their next
 * fire time and job history, and a form to create one with a cron helper.
 */
export function SchedulesSection(props: ISectionProps): React.ReactElement {
  const { context } = props;
  const [localToken, setLocalToken] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const reloadToken = props.refreshToken + localToken;
  const reload = useCallback(() => setLocalToken(token => token + 1), []);

  const list = useLoadable<ScheduleList>(
    signal => listSchedules({ signal }),
    [reloadToken]
  );

  // Refresh by itself: often while a job runs or a tick is near, else now and then
  // (so "in 4 minutes" stays true).
  const busy = list.state === 'ready' && isBusy(list.value);
  usePolling(
    reload,
    list.state === 'loading' ? null : busy ? BUSY_POLL_MS : IDLE_POLL_MS,
    [list]
  );

  const value = list.state === 'ready' ? list.value : null;
  return (
    <SectionShell
      className="jp-MLOps-schedules"
      what="schedules"
      onRefresh={reload}
      toolbar={
        <button
          className="jp-MLOps-button jp-MLOps-newSchedule"
          aria-expanded={creating}
          title="Run a notebook or pipeline on a cron schedule"
          onClick={() => setCreating(!creating)}
        >
          <addIcon.react tag="span" className="jp-MLOps-buttonIcon" />
          <span>New schedule</span>
        </button>
      }
    >
      {value && <SchedulerNotice state={value.scheduler} />}
      {creating && (
        <ScheduleForm
          context={context}
          presets={value?.presets ?? []}
          onCancel={() => setCreating(false)}
          onCreated={schedule => {
            setCreating(false);
            setExpanded(schedule.name);
            reload();
          }}
        />
      )}
      {list.state === 'loading' && <Loading />}
      {list.state === 'error' && (
        <ErrorMessage message={list.message} onRetry={reload} />
      )}
      {value &&
        (value.schedules.length === 0 ? (
          !creating && <NoSchedules />
        ) : (
          <ul className="jp-MLOps-scheduleList">
            {value.schedules.map(schedule => (
              <ScheduleItem
                key={schedule.id}
                schedule={schedule}
                expanded={expanded === schedule.name}
                onToggle={() =>
                  setExpanded(current =>
                    current === schedule.name ? null : schedule.name
                  )
                }
                canRun={value.scheduler.enabled}
                context={context}
                reloadToken={reloadToken}
                onChanged={reload}
              />
            ))}
          </ul>
        ))}
    </SectionShell>
  );
}

function isBusy(value: ScheduleList): boolean {
  const now = Date.now();
  return value.schedules.some(
    schedule =>
      (schedule.last_job !== null && isJobActive(schedule.last_job.status)) ||
      (schedule.next !== null && Date.parse(schedule.next) - now < SOON_MS)
  );
}

function SchedulerNotice(props: {
  state: SchedulerState;
}): React.ReactElement | null {
  const { state } = props;
  if (state.running) {
    return null;
  }
  const text = !state.enabled
    ? 'The scheduler is off in this Jupyter server: schedules fire only while ' +
      '`mlops scheduler` runs elsewhere, and Run now is unavailable.'
    : state.error
      ? `The scheduler is not running: ${state.error}`
      : 'The scheduler is starting…';
  return (
    <div className="jp-MLOps-schedulerNotice" role="status">
      {text}
    </div>
  );
}

function NoSchedules(): React.ReactElement {
  return (
    <div className="jp-MLOps-empty">
      <p className="jp-MLOps-emptyTitle">No schedules yet</p>
      <p>
        Run the open notebook or a pipeline on a cron schedule with{' '}
        <b>New schedule</b>. Its jobs keep going while JupyterLab is closed, as
        long as the server runs.
      </p>
    </div>
  );
}
