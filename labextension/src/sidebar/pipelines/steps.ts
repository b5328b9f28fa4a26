import {
  PlanStep,
  PipelineRun,
  RunStep,
  StepStatus
} from '../../api/pipelines';
import { statusLabel } from '../../components';

/**
 * Step states in which the step has an MLflow run (a child of the pipeline's run).
 */
export const HAS_MLFLOW_RUN: ReadonlySet<StepStatus> = new Set<StepStatus>([
  'RUNNING',
  'FINISHED',
  'CACHED',
  'FAILED',
  'TIMED_OUT',
  'KERNEL_DIED'
]);

/**
 * Steps grouped by depth in the DAG: a step is one stage after its deepest need.
 */
export function layers(steps: PlanStep[]): PlanStep[][] {
  const depth = new Map<string, number>();
  const stages: PlanStep[][] = [];
  for (const step of steps) {
    // The server lists steps in a topological order, so needs come first.
    const level = step.needs.reduce(
      (deepest, need) => Math.max(deepest, (depth.get(need) ?? -1) + 1),
      0
    );
    depth.set(step.name, level);
    (stages[level] ??= []).push(step);
  }
  return stages.filter(stage => stage !== undefined);
}

export function countSteps(run: PipelineRun): string {
  const counts = new Map<string, number>();
  for (const step of run.steps) {
    if (step.status !== 'NOT_SELECTED') {
      const label = statusLabel(step.status).toLowerCase();
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return [...counts.entries()].map(([label, n]) => `${n} ${label}`).join(' · ');
}

export function errorLine(step: RunStep): string {
  const error = step.error;
  if (!error) {
    return '';
  }
  const where =
    error.cell_index !== undefined && error.cell_index !== null
      ? `cell ${error.cell_index}: `
      : '';
  return `${where}${error.ename ?? 'Error'}: ${error.evalue ?? ''}`.trim();
}

/**
 * `dir/notebook.ipynb` → `dir/pipeline.yaml`.
 */
export function siblingPipeline(notebook: string): string {
  const slash = notebook.lastIndexOf('/');
  return slash < 0
    ? 'pipeline.yaml'
    : `${notebook.slice(0, slash)}/pipeline.yaml`;
}
