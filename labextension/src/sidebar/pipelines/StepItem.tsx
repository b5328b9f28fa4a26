import React from 'react';

import {
  PipelineRun,
  PlanStep,
  RunStep,
  StepStatus
} from '../../api/pipelines';
import { RunError, StatusBadge } from '../../components';
import { baseName, formatDuration } from '../../format';
import { ISidebarContext } from '../Panel';
import { Breakable } from './Breakable';
import { errorLine, HAS_MLFLOW_RUN } from './steps';

/**
 * One step of the DAG: its state in the shown run (or what a run would do now),
 * its notebook, output notebook and MLflow run.
 */
export function StepItem(props: {
  step: PlanStep;
  run: RunStep | null;
  live: boolean;
  pending: boolean;
  pipelineRun: PipelineRun | null;
  experiment: string;
  context: ISidebarContext;
}): React.ReactElement {
  const { step, run, context } = props;
  const status: StepStatus | null = props.pending
    ? 'PENDING'
    : (run?.status ?? null);
  const output =
    run?.output_notebook_path ?? (run ? null : step.last_output_notebook_path);
  const invalid = step.cache.startsWith('invalid');
  const duration =
    run &&
    run.status !== 'CACHED' &&
    run.status !== 'SKIPPED' &&
    run.started !== null
      ? (run.duration ??
        (run.status === 'RUNNING' ? Date.now() / 1000 - run.started : null))
      : null;
  const mlflowTitle = props.pipelineRun
    ? `MLflow experiment "${props.experiment}", run "${step.name}" (child of ` +
      `"${props.pipelineRun.pipeline ?? ''} ${props.pipelineRun.run_id}")`
    : `MLflow experiment "${props.experiment}", run "${step.name}"`;

  return (
    <li
      className="jp-MLOps-step"
      data-step={step.name}
      data-status={status ?? 'NONE'}
      title={step.notebook}
    >
      <div className="jp-MLOps-stepHeader">
        {status !== null ? (
          <StatusBadge status={status} />
        ) : (
          <StatusBadge status="NONE" label="Not run" />
        )}
        <span className="jp-MLOps-stepName">
          <Breakable text={step.name} />
        </span>
        {duration !== null && (
          <span className="jp-MLOps-runDuration" title="Duration">
            {formatDuration(duration)}
          </span>
        )}
      </div>
      <div className="jp-MLOps-stepMeta">
        {step.needs.length > 0 && (
          <span className="jp-MLOps-needs" title="Runs after these steps">
            ← {step.needs.join(', ')}
          </span>
        )}
        <button
          className="jp-MLOps-link jp-MLOps-sourceLink"
          title={`Open ${step.notebook_path}`}
          onClick={() => context.openFile(step.notebook_path)}
        >
          {baseName(step.notebook)}
        </button>
        {!props.live && !(status === 'CACHED' && step.cache === 'cached') && (
          <span
            className={`jp-MLOps-cache ${
              invalid
                ? 'jp-mod-invalid'
                : step.cache === 'cached'
                  ? 'jp-mod-cached'
                  : ''
            }`}
            title={invalid ? step.cache : 'What a run would do now'}
          >
            {invalid ? 'invalid' : step.cache}
          </span>
        )}
      </div>
      {run?.error && <RunError text={errorLine(run)} />}
      {!run?.error && run?.reason && run.status !== 'NOT_SELECTED' && (
        <div className="jp-MLOps-stepReason">{run.reason}</div>
      )}
      {(output || run) && (
        <div className="jp-MLOps-stepLinks">
          {output && (
            <button
              className="jp-MLOps-link jp-MLOps-outputLink"
              title={`Open the executed notebook ${output}`}
              onClick={() => context.openFile(output)}
            >
              Output notebook
            </button>
          )}
          {run && HAS_MLFLOW_RUN.has(run.status) && (
            <span className="jp-MLOps-mlflow" title={mlflowTitle}>
              MLflow: {props.experiment} › {step.name}
            </span>
          )}
        </div>
      )}
    </li>
  );
}
