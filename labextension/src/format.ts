import { Time } from '@jupyterlab/coreutils';

/**
 * A duration in seconds as people read it: `0.42 s`, `12 s`, `3 min 4 s`, `2 h 5 min`.
 */
export function formatDuration(seconds: number): string {
  if (seconds < 10) {
    return `${Number(seconds.toFixed(2))} s`;
  }
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours > 0) {
    return `${hours} h ${minutes} min`;
  }
  return minutes > 0 ? `${minutes} min ${rest} s` : `${rest} s`;
}

/**
 * An epoch-milliseconds time as `3 min. ago`: short enough for a narrow sidebar
 * ('' when the server does not know the time).
 */
export function formatRelative(epochMs: number | null): string {
  return epochMs === null ? '' : Time.formatHuman(new Date(epochMs), 'short');
}

/**
 * An epoch-milliseconds time as a full local date and time ('' when unknown).
 */
export function formatAbsolute(epochMs: number | null): string {
  return epochMs === null ? '' : Time.format(new Date(epochMs));
}

/**
 * A metric value with at most four significant digits: `0.9134`, `1.2e+5`, `42`.
 */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e6) {
    return String(value);
  }
  return String(Number(value.toPrecision(4)));
}

/**
 * The file name of a notebook path: `analysis/train.ipynb` → `train.ipynb`.
 */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
