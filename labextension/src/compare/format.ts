import { Comparison } from '../api/comparison';

/** How a delta reads: better, worse or neither. */
export function verdict(
  delta: number | null | undefined,
  higherIsBetter: boolean | null | undefined
): string {
  if (delta === null || delta === undefined || delta === 0) {
    return '';
  }
  if (higherIsBetter === null || higherIsBetter === undefined) {
    return 'jp-MLOps-compare-neutral';
  }
  return delta > 0 === higherIsBetter
    ? 'jp-MLOps-compare-better'
    : 'jp-MLOps-compare-worse';
}

/** A number in a few significant digits. */
export function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(digits)));
}

export function signed(value: number | null | undefined): string {
  if (value === null || value === undefined || value === 0) {
    return '';
  }
  return (value > 0 ? '+' : '') + num(value, 3);
}

/** A run's label: its name, else its short id. */
export function runLabel(comparison: Comparison, index: number): string {
  const run = comparison.runs[index];
  return run.run_name || run.run_id.slice(0, 8);
}
