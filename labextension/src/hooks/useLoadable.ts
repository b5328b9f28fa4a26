import { DependencyList, useEffect, useRef, useState } from 'react';

import { messageOf } from '../api/request';

/**
 * Something fetched from the server: still loading, failed with a message, or there.
 */
export type Loadable<T> =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'ready'; value: T };

/**
 * How `useLoadable` fetches.
 */
export interface ILoadOptions<T> {
  /**
   * Show "loading" on every reload instead of keeping the last value until the new
   * one arrives (for previews, where a stale value would mislead).
   */
  clear?: boolean;
  /**
   * Wait this long after the last change of `deps` before fetching (debounce).
   */
  delayMs?: number;
  /**
   * Called with each value that arrives (e.g. to select or follow something).
   */
  onLoaded?: (value: T) => void;
}

/**
 * Fetch with `load` whenever `deps` change; a superseded request is aborted and
 * its outcome ignored, so a slow old answer never overwrites a newer one.
 */
export function useLoadable<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  options: ILoadOptions<T> = {}
): Loadable<T> {
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' });
  // The latest callbacks, without making them effect dependencies.
  const latest = useRef({ load, onLoaded: options.onLoaded });
  latest.current = { load, onLoaded: options.onLoaded };
  const { clear = false, delayMs = 0 } = options;

  useEffect(() => {
    const controller = new AbortController();
    setValue(current =>
      !clear && current.state === 'ready' ? current : { state: 'loading' }
    );
    const fetch = () =>
      latest.current.load(controller.signal).then(
        result => {
          if (!controller.signal.aborted) {
            setValue({ state: 'ready', value: result });
            latest.current.onLoaded?.(result);
          }
        },
        reason => {
          if (!controller.signal.aborted) {
            setValue({ state: 'error', message: messageOf(reason) });
          }
        }
      );
    const timer = delayMs > 0 ? window.setTimeout(fetch, delayMs) : undefined;
    if (timer === undefined) {
      fetch();
    }
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, deps);

  return value;
}
