export { useAction } from './useAction';
export type { IAction, IActionOptions } from './useAction';
export { useLoadable } from './useLoadable';
export type { ILoadOptions, Loadable } from './useLoadable';
export { usePolling } from './usePolling';
export { useNow } from './useNow';
export { useMlflowUi } from './useMlflowUi';
