import { useEffect, useState } from 'react';

/**
 * The current time (epoch ms), re-rendering the component as it moves: every
 * second while `sinceMs` is less than a minute ago, every 30 s after that.
 *
 * For "started 5 s ago" labels that must not freeze at the value of their first
 * render. Pass `null` to stop ticking (e.g. nothing to show).
 */
export function useNow(sinceMs: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  const young = sinceMs !== null && now - sinceMs < 60_000;
  useEffect(() => {
    if (sinceMs === null) {
      return;
    }
    const timer = window.setInterval(
      () => setNow(Date.now()),
      young ? 1000 : 30_000
    );
    return () => window.clearInterval(timer);
  }, [sinceMs, young]);
  return now;
}
