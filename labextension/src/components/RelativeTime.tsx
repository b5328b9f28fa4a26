import React from 'react';

import { formatAbsolute } from '../format';
import { useNow } from '../hooks/useNow';

/**
 * How long ago `epochMs` was, in words, kept moving ("12 s ago", "3 min ago",
 * "2 h ago", then the date); the full local time in its tooltip.
 */
export function RelativeTime(props: {
  epochMs: number | null;
  prefix?: string;
  className?: string;
}): React.ReactElement | null {
  const now = useNow(props.epochMs);
  if (props.epochMs === null) {
    return null;
  }
  return (
    <time
      className={props.className ?? 'jp-MLOps-muted'}
      dateTime={new Date(props.epochMs).toISOString()}
      title={formatAbsolute(props.epochMs)}
    >
      {props.prefix ?? ''}
      {ago(now - props.epochMs, props.epochMs)}
    </time>
  );
}

/**
 * An age in words: `just now`, `12 s ago`, `3 min ago`, `5 h ago`, `2 d ago`,
 * then the date.
 */
export function ago(ageMs: number, epochMs: number): string {
  const seconds = Math.max(0, Math.floor(ageMs / 1000));
  if (seconds < 5) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  if (days < 14) {
    return `${days} d ago`;
  }
  return new Date(epochMs).toLocaleDateString();
}
