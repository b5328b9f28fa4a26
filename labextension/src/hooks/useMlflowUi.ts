import { useSyncExternalStore } from 'react';

import { getMlflowUiBase, onMlflowUiBaseChange } from '../mlflowUi';

/**
 * The MLflow UI's base URL (null while unknown): a component calling this re-renders
 * when it becomes known, so its `mlflowUiUrl(...)` links appear without a reload.
 */
export function useMlflowUi(): string | null {
  return useSyncExternalStore(onMlflowUiBaseChange, getMlflowUiBase);
}
