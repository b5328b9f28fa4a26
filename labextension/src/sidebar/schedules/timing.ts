/**
 * How often the list is fetched while a job runs or a tick is close, and otherwise.
 */
export const BUSY_POLL_MS = 1500;
export const IDLE_POLL_MS = 15000;
/** A tick closer than this keeps the fast polling on. */
export const SOON_MS = 60000;
/** The wait after the last keystroke before the cron preview is fetched. */
export const PREVIEW_DEBOUNCE_MS = 300;
/** Jobs shown per schedule. */
export const HISTORY_LENGTH = 10;

/**
 * The browser's time zone, the default of a new schedule.
 */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * Every IANA zone the browser knows, for the time zone field's suggestions.
 */
export function knownTimeZones(): string[] {
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}
