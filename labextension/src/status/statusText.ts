import { TrackingStatus } from '../api/activity';

/** A run id as people read it: its first 8 characters. */
export function shortId(runId: string): string {
  return runId.slice(0, 8);
}

/** Events held back: pending in live sessions + spooled by exited kernels. */
export function totals(status: TrackingStatus): {
  pending: number;
  spooled: number;
} {
  let pending = 0;
  let spooled = status.spooled_events;
  for (const session of status.sessions) {
    pending += session.pending;
    spooled += session.spooled;
  }
  return { pending, spooled };
}

/** True when the store is down or the last write failed. */
export function inTrouble(status: TrackingStatus): boolean {
  return !status.reachable || !!status.last_store_error;
}

/**
 * The status-bar text: `MLflow: sqlite · 1a2b3c4d · 0 pending · 0 spooled`.
 */
export function statusText(status: TrackingStatus): string {
  const { pending, spooled } = totals(status);
  const session = status.sessions[0];
  const run = session
    ? session.run_id
      ? shortId(session.run_id)
      : 'starting'
    : 'no session';
  return [
    `MLflow: ${status.store_kind}`,
    run,
    `${pending} pending`,
    `${spooled} spooled`
  ].join(' · ');
}

/**
 * The tooltip and the details popup: every fact, one per line.
 */
export function statusDetails(status: TrackingStatus): string[] {
  const lines = [
    `Store: ${status.store} (${status.reachable ? 'reachable' : 'NOT reachable'})`
  ];
  if (status.last_store_error) {
    lines.push(`Last store error: ${status.last_store_error}`);
  }
  if (status.sessions.length === 0) {
    lines.push('No tracking session (start one with %mlops track)');
  }
  for (const session of status.sessions) {
    const where = [session.experiment, session.notebook]
      .filter(Boolean)
      .join(' · ');
    lines.push(
      `Session ${session.run_id ? shortId(session.run_id) : '(not written yet)'}` +
        (where ? ` — ${where}` : '') +
        `: ${session.pending} pending, ${session.spooled} spooled` +
        (session.last_error ? ` — error: ${session.last_error}` : '')
    );
  }
  if (status.spooled_events > 0) {
    lines.push(
      `${status.spooled_events} events spooled by kernels that have exited`
    );
  }
  return lines;
}
