/**
 * Links into the MLflow UI for runs, experiments and model versions.
 *
 * The UI's base URL is learnt once from the server (`setMlflowUiBase`, called by the
 * status plugin); until then, or when no UI is available, `mlflowUiUrl` returns null
 * and callers show no link.
 */

/** What a link points at. */
export type MlflowTarget =
  | { experimentId: string; runId?: string }
  | { model: string; version?: string };

let base: string | null = null;
const listeners = new Set<() => void>();

/**
 * Set the MLflow UI's base URL (absolute, ending without `/`), or null when none.
 * Components showing links re-render (`useMlflowUi`).
 */
export function setMlflowUiBase(url: string | null): void {
  const next = url ? url.replace(/\/+$/, '') : null;
  if (next !== base) {
    base = next;
    listeners.forEach(listener => listener());
  }
}

/**
 * The MLflow UI's base URL, or null while unknown or when there is none.
 */
export function getMlflowUiBase(): string | null {
  return base;
}

/**
 * Call `listener` whenever the base changes; returns the unsubscribe function.
 */
export function onMlflowUiBaseChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The MLflow UI's URL of `target`, or null when no UI is available.
 */
export function mlflowUiUrl(target: MlflowTarget): string | null {
  if (base === null) {
    return null;
  }
  return `${base}/${mlflowUiRoute(target)}`;
}

/**
 * The MLflow UI's hash route of `target` (relative to the UI's base).
 */
export function mlflowUiRoute(target: MlflowTarget): string {
  if ('model' in target) {
    const model = encodeURIComponent(target.model);
    return target.version
      ? `#/models/${model}/versions/${encodeURIComponent(target.version)}`
      : `#/models/${model}`;
  }
  const experiment = encodeURIComponent(target.experimentId);
  return target.runId
    ? `#/experiments/${experiment}/runs/${encodeURIComponent(target.runId)}`
    : `#/experiments/${experiment}`;
}
