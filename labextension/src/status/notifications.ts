import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { ActivityEvent, getEvents } from '../api/activity';
import { CommandIDs } from '../commands';

/** Seconds between two looks at `events` while the page is visible. */
export const POLL_INTERVAL_MS = 4000;
/** More new events than this in one look become one summary notification. */
export const COALESCE_ABOVE = 3;
/** Each look re-reads this far back (ms): an event committed just after the last
 * answer is still seen; ids already shown are skipped. */
const OVERLAP_MS = 15_000;
/** JupyterLab shows at most this many characters of a notification. */
const MAX_MESSAGE = 140;
const AUTO_CLOSE_MS = 15_000;

function clip(text: string, limit = MAX_MESSAGE): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** The actions of an event's notification (what its link opens). */
function actionsOf(
  app: JupyterFrontEnd,
  event: ActivityEvent,
  uiAvailable: () => boolean
): Notification.IAction[] {
  const link = event.link;
  if (!link) {
    return [];
  }
  const run = (command: string, args: Record<string, string>) => () =>
    void app.commands.execute(command, args);
  switch (link.kind) {
    case 'run':
      if (app.commands.hasCommand(CommandIDs.openRun)) {
        return [
          {
            label: link.label || 'Open run',
            callback: run(CommandIDs.openRun, { runId: link.target }),
            displayType: 'accent'
          }
        ];
      }
      if (uiAvailable()) {
        return [
          {
            label: 'Open in MLflow UI',
            callback: run(CommandIDs.openMlflowUi, {
              path: `#/runs/${encodeURIComponent(link.target)}`
            }),
            displayType: 'accent'
          }
        ];
      }
      return [
        {
          label: 'Show sidebar',
          callback: run(CommandIDs.openSidebar, {}),
          displayType: 'accent'
        }
      ];
    case 'model':
      if (!uiAvailable()) {
        return [
          {
            label: 'Show sidebar',
            callback: run(CommandIDs.openSidebar, {}),
            displayType: 'accent'
          }
        ];
      }
      return [
        {
          label: link.label || 'Open model',
          callback: run(CommandIDs.openMlflowUi, {
            path: `#/models/${encodeURIComponent(link.target)}`
          }),
          displayType: 'accent'
        },
        { label: 'Show sidebar', callback: run(CommandIDs.openSidebar, {}) }
      ];
    case 'file':
      return [
        {
          label: link.label || 'Open file',
          callback: run('docmanager:open', { path: link.target }),
          displayType: 'accent'
        }
      ];
    default: // job, dashboard: their place is the sidebar
      return [
        {
          label: link.label || 'Show sidebar',
          callback: run(CommandIDs.openSidebar, {}),
          displayType: 'accent'
        }
      ];
  }
}

/** Show one event with JupyterLab's notification API. */
export function notify(
  app: JupyterFrontEnd,
  event: ActivityEvent,
  uiAvailable: () => boolean = () => false
): string {
  const text = clip(
    event.message ? `${event.title}: ${event.message}` : event.title
  );
  const options = {
    autoClose: event.outcome === 'succeeded' ? AUTO_CLOSE_MS : (false as const),
    actions: actionsOf(app, event, uiAvailable),
    data: { mlopsEvent: event.id }
  };
  switch (event.outcome) {
    case 'succeeded':
      return Notification.success(text, options);
    case 'failed':
      return Notification.error(text, options);
    default: // alert, interrupted
      return Notification.warning(text, options);
  }
}

/** Many events at once: one notification that names them. */
function notifySummary(app: JupyterFrontEnd, events: ActivityEvent[]): void {
  const failed = events.filter(e => e.outcome === 'failed').length;
  const alerts = events.filter(
    e => e.outcome === 'alert' || e.outcome === 'interrupted'
  ).length;
  const head =
    `${events.length} MLOps outcomes` +
    (failed ? `, ${failed} failed` : '') +
    (alerts ? `, ${alerts} alerts` : '');
  const text = clip(`${head}: ${events.map(e => e.title).join('; ')}`);
  const options = {
    autoClose: false as const,
    actions: [
      {
        label: 'Show sidebar',
        callback: () => void app.commands.execute(CommandIDs.openSidebar),
        displayType: 'accent' as const
      }
    ]
  };
  if (failed) {
    Notification.error(text, options);
  } else if (alerts) {
    Notification.warning(text, options);
  } else {
    Notification.success(text, options);
  }
}

/**
 * Poll `events` every few seconds while the page is visible and show each new
 * outcome once. The first look only learns the server's clock: nothing that
 * happened before this page opened is shown.
 *
 * @param uiAvailable - whether an MLflow UI can be opened (for the actions).
 * @returns A function that stops the poller.
 */
export function startEventPoller(
  app: JupyterFrontEnd,
  uiAvailable: () => boolean
): () => void {
  let since: number | null = null;
  let timer: number | undefined;
  let stopped = false;
  let running = false;
  const seen = new Set<string>();

  const look = async () => {
    if (document.visibilityState !== 'visible') {
      return;
    }
    if (since === null) {
      since = (await getEvents(Number.MAX_SAFE_INTEGER)).now;
      return;
    }
    const answer = await getEvents(Math.max(0, since - OVERLAP_MS));
    since = answer.now;
    const fresh = answer.events.filter(event => !seen.has(event.id));
    fresh.forEach(event => seen.add(event.id));
    if (seen.size > 1000) {
      // keep the ids of the overlap window only
      const keep = answer.events.map(event => event.id);
      seen.clear();
      keep.forEach(id => seen.add(id));
    }
    if (fresh.length > COALESCE_ABOVE) {
      notifySummary(app, fresh);
    } else {
      fresh.forEach(event => notify(app, event, uiAvailable));
    }
  };
  const loop = async () => {
    if (running) {
      return;
    }
    running = true;
    window.clearTimeout(timer);
    try {
      await look();
    } catch (reason) {
      console.debug('mlops-jupyter: events unavailable', reason);
    } finally {
      running = false;
    }
    if (!stopped) {
      timer = window.setTimeout(loop, POLL_INTERVAL_MS);
    }
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible' && !stopped) {
      void loop();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  void loop();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
