import { useCallback, useRef, useState } from 'react';

import { messageOf } from '../api/request';

/**
 * A user action in flight: whether it runs, and why the last one failed.
 */
export interface IAction {
  /** True while an action runs (to disable its button). */
  busy: boolean;
  /** Why the last action failed, as one line; null after a success. */
  error: string | null;
  /** Run `action`: busy while it runs, its failure kept in `error`. */
  run(action: () => Promise<unknown>): Promise<void>;
}

/**
 * How `useAction` reports.
 */
export interface IActionOptions {
  /** The failure as one line (default: the error's message). */
  describe?: (reason: unknown) => string;
  /** Called when an action ends, either way (e.g. to reload the list). */
  onSettled?: () => void;
}

/**
 * The busy → try → catch → finally pattern of a button that calls the server.
 */
export function useAction(options: IActionOptions = {}): IAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(options);
  latest.current = options;

  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (reason) {
      setError((latest.current.describe ?? messageOf)(reason));
    } finally {
      setBusy(false);
      latest.current.onSettled?.();
    }
  }, []);

  return { busy, error, run };
}
