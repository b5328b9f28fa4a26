/**
 * The command ids of mlops-jupyter: the one list every plugin, section and test uses.
 *
 * Anything that shows a run id opens it through `openRun`; the sidebar's selection
 * opens `compareRuns` / `diffRuns`. Arguments are plain JSON (command palette and
 * `data-commandlinker-*` links in notebook outputs can call them too).
 */
export namespace CommandIDs {
  export const openSidebar = 'mlops:open-sidebar';
  export const refreshRuns = 'mlops:refresh-runs';
  /** Open the run view of `{ runId: string }` in the main area. */
  export const openRun = 'mlops:open-run';
  /** Compare `{ runIds: string[] }` (2–1000) in the main area. */
  export const compareRuns = 'mlops:compare-runs';
  /** Diff `{ runA: string, runB: string }` in the main area. */
  export const diffRuns = 'mlops:diff-runs';
  /** Open the MLflow UI (optionally at `{ path: string }`, a hash route like `#/experiments/1/runs/abc`). */
  export const openMlflowUi = 'mlops:open-mlflow-ui';
}
