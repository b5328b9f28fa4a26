import React from 'react';

/**
 * The placeholder shown while something is fetched.
 */
export function Loading(): React.ReactElement {
  return <p className="jp-MLOps-note jp-MLOps-loading">Loading…</p>;
}
