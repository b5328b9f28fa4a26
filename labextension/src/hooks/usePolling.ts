import { DependencyList, useEffect, useRef } from 'react';

/**
 * Call `tick` `delayMs` after every change of `deps` (typically: after each answer
 * of the thing being followed), while `delayMs` is not null.
 *
 * The wait restarts whenever `deps` change, and ends with the component, so a
 * poll is never doubled and never outlives the view that asked for it.
 */
export function usePolling(
  tick: () => void,
  delayMs: number | null,
  deps: DependencyList
): void {
  // The latest callback, without making it an effect dependency.
  const latest = useRef(tick);
  latest.current = tick;

  useEffect(() => {
    if (delayMs === null) {
      return;
    }
    const timer = window.setTimeout(() => latest.current(), delayMs);
    return () => window.clearTimeout(timer);
  }, [delayMs, ...deps]);
}
