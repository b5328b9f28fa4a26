import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { messageOf } from '../../api/request';
import { IRunsQuery, listRuns, Run } from '../../api/runs';
import { usePolling } from '../../hooks';

/**
 * The one order the server cannot apply (MLflow stores no duration): the loaded
 * runs of each level are sorted here, longest first.
 */
export const BY_DURATION = 'duration DESC';

/** How often a list with a RUNNING run (or under one) is fetched again. */
export const AUTO_REFRESH_MS = 3000;

export interface IRunListState {
  runs: Run[];
  nextPageToken: string | null;
  loading: boolean;
  error: string | null;
}

const EMPTY: IRunListState = {
  runs: [],
  nextPageToken: null,
  loading: true,
  error: null
};

/**
 * One level of the runs tree (an experiment's top-level runs, a run's children, or
 * a search), a page at a time, while `enabled`.
 *
 * While any listed run is RUNNING (or `following` says the parent is), the list is
 * fetched again every {@link AUTO_REFRESH_MS} quietly (as many runs as are shown);
 * polling stops by itself once everything has ended.
 */
export function useRunList(
  experimentId: string,
  query: IRunsQuery,
  enabled: boolean,
  reloadToken: number,
  following = false
): [IRunListState, () => void] {
  const [state, setState] = useState<IRunListState>(EMPTY);
  const controller = useRef<AbortController | null>(null);
  const key = JSON.stringify(query);

  const load = useCallback(
    (pageToken: string | null, quietSize?: number) => {
      if (!pageToken) {
        controller.current?.abort();
        controller.current = new AbortController();
      }
      const signal = controller.current!.signal;
      if (quietSize === undefined) {
        setState(current => ({ ...current, loading: true, error: null }));
      }
      listRuns(
        experimentId,
        {
          ...query,
          orderBy: query.orderBy === BY_DURATION ? null : query.orderBy,
          maxResults: quietSize ?? query.maxResults,
          pageToken
        },
        { signal }
      ).then(
        page =>
          setState(current => ({
            runs: pageToken ? [...current.runs, ...page.runs] : page.runs,
            nextPageToken: page.next_page_token,
            loading: false,
            error: null
          })),
        reason => {
          if (!signal.aborted) {
            setState(current => ({
              ...current,
              loading: false,
              error: messageOf(reason)
            }));
          }
        }
      );
    },
    [experimentId, key]
  );

  useEffect(() => {
    if (enabled) {
      load(null);
    }
  }, [enabled, load, reloadToken]);

  useEffect(() => () => controller.current?.abort(), []);

  const running =
    enabled &&
    !state.loading &&
    (following || state.runs.some(run => run.status === 'RUNNING'));
  usePolling(
    () =>
      load(
        null,
        Math.min(500, Math.max(state.runs.length, query.maxResults ?? 50))
      ),
    running ? AUTO_REFRESH_MS : null,
    [state]
  );

  const ordered = useMemo(
    () =>
      query.orderBy === BY_DURATION
        ? {
            ...state,
            runs: [...state.runs].sort(
              (a, b) => (b.duration_s ?? -1) - (a.duration_s ?? -1)
            )
          }
        : state,
    [state, query.orderBy]
  );
  return [ordered, () => load(state.nextPageToken)];
}
