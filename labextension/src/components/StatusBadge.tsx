import React from 'react';

/**
 * The CSS modifier of a status: `TIMED_OUT` → `jp-mod-timed-out`.
 */
export function statusClass(status: string): string {
  return `jp-mod-${status.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * A status as people read it: `TIMED_OUT` → `Timed out`.
 */
export function statusLabel(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A status badge: a run's, a step's, a job's or a verdict's (`jp-MLOps-badge
 * jp-mod-<status>`), labelled with the status unless `label` says otherwise.
 */
export function StatusBadge(
  props: {
    status: string;
    label?: React.ReactNode;
  } & React.HTMLAttributes<HTMLSpanElement>
): React.ReactElement {
  const { status, label, className, ...rest } = props;
  const classes = ['jp-MLOps-badge', statusClass(status)];
  if (className) {
    classes.push(className);
  }
  return (
    <span {...rest} className={classes.join(' ')}>
      {label ?? statusLabel(status)}
    </span>
  );
}
