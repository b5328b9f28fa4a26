import { Dialog, showDialog } from '@jupyterlab/apputils';
import {
  deleteIcon,
  runIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import React from 'react';

import {
  deleteSchedule,
  isJobActive,
  Schedule,
  runScheduleNow,
  setScheduleEnabled
} from '../../api/schedules';
import { Caret, StatusBadge } from '../../components';
import { formatAbsolute } from '../../format';
import { useAction } from '../../hooks';
import { ISidebarContext } from '../Panel';
import { Breakable } from '../pipelines/Breakable';
import { JobHistory } from './JobHistory';

/**
 * One schedule: its next tick and last job; its actions (run now, pause or resume,
 * delete) and, expanded, its job history.
 */
export function ScheduleItem(props: {
  schedule: Schedule;
  expanded: boolean;
  onToggle: () => void;
  canRun: boolean;
  context: ISidebarContext;
  reloadToken: number;
  onChanged: () => void;
}): React.ReactElement {
  const { schedule, expanded, context, onChanged } = props;
  const action = useAction({ onSettled: onChanged });
  const active =
    schedule.last_job !== null && isJobActive(schedule.last_job.status);

  const remove = async () => {
    const answer = await showDialog({
      title: `Delete schedule ${schedule.name}?`,
      body: 'It stops firing. Its job history and output notebooks are kept.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (answer.button.accept) {
      await action.run(() => deleteSchedule(schedule.name));
    }
  };

  return (
    <li
      className="jp-MLOps-schedule"
      data-name={schedule.name}
      data-enabled={schedule.enabled ? 'true' : 'false'}
    >
      <button
        className="jp-MLOps-scheduleHeader"
        aria-expanded={expanded}
        title={`${schedule.name}: ${schedule.target}`}
        onClick={props.onToggle}
      >
        <Caret open={expanded} />
        <span className="jp-MLOps-scheduleName">
          <Breakable text={schedule.name} />
        </span>
        {!schedule.enabled ? (
          <StatusBadge status="PAUSED" />
        ) : (
          schedule.next_human && (
            <time
              className="jp-MLOps-scheduleNext"
              dateTime={schedule.next ?? undefined}
              title={
                schedule.next
                  ? `Next run ${formatAbsolute(Date.parse(schedule.next))}`
                  : ''
              }
            >
              {schedule.next_human}
            </time>
          )
        )}
        {schedule.last_job && <StatusBadge status={schedule.last_job.status} />}
      </button>
      <div className="jp-MLOps-scheduleBody">
        <div className="jp-MLOps-scheduleMeta">
          {schedule.target_in_root ? (
            <button
              className="jp-MLOps-link jp-MLOps-scheduleTarget"
              title={`Open ${schedule.target}`}
              onClick={() =>
                schedule.target && context.openFile(schedule.target)
              }
            >
              {schedule.target}
            </button>
          ) : (
            <span
              className="jp-MLOps-scheduleTarget"
              title="Outside the server root"
            >
              {schedule.target}
            </span>
          )}
          <code className="jp-MLOps-cron" title={`cron, ${schedule.timezone}`}>
            {schedule.cron}
          </code>
          <span className="jp-MLOps-zone">{schedule.timezone}</span>
          {schedule.target_type === 'monitor' && (
            <span
              className="jp-MLOps-scheduleKind"
              title="A drift check on a schedule"
            >
              drift check
            </span>
          )}
          {schedule.missed === 'catch_up_once' && (
            <span title="Missed ticks: the latest one runs when a scheduler is back">
              catch up once
            </span>
          )}
        </div>
        {Object.keys(schedule.parameters).length > 0 && (
          <div
            className="jp-MLOps-scheduleParams"
            aria-label="Parameters"
            title="Parameters each job runs with"
          >
            {Object.entries(schedule.parameters).map(([name, value]) => (
              <span
                className="jp-MLOps-scheduleParam"
                key={name}
                data-param={name}
              >
                {name}={JSON.stringify(value)}
              </span>
            ))}
          </div>
        )}
        <div className="jp-MLOps-scheduleActions">
          <button
            className="jp-MLOps-button jp-MLOps-runNow"
            disabled={action.busy || active || !props.canRun}
            title={
              props.canRun
                ? active
                  ? 'A job of this schedule is running'
                  : 'Start a job now'
                : 'The scheduler is off in this server'
            }
            onClick={() => action.run(() => runScheduleNow(schedule.name))}
          >
            <runIcon.react tag="span" className="jp-MLOps-buttonIcon" />
            <span>Run now</span>
          </button>
          <button
            className="jp-MLOps-button jp-MLOps-togglePause"
            disabled={action.busy}
            onClick={() =>
              action.run(() =>
                setScheduleEnabled(schedule.name, !schedule.enabled)
              )
            }
          >
            <span>{schedule.enabled ? 'Pause' : 'Resume'}</span>
          </button>
          <ToolbarButtonComponent
            className="jp-MLOps-deleteSchedule"
            icon={deleteIcon}
            tooltip={`Delete schedule ${schedule.name}`}
            enabled={!action.busy}
            onClick={() => void remove()}
          />
        </div>
        {action.error !== null && (
          <div className="jp-MLOps-inlineError">{action.error}</div>
        )}
        {expanded && (
          <JobHistory
            schedule={schedule.name}
            context={context}
            reloadToken={props.reloadToken}
            onChanged={onChanged}
          />
        )}
      </div>
    </li>
  );
}
