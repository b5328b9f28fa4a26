import { RunStatus } from '../../api/runs';

/** What every run of the tree needs from the Runs section. */
export interface IRunsView {
  experimentId: string;
  status: RunStatus | null;
  filter: string | null;
  orderBy: string | null;
  reloadToken: number;
  selected: ReadonlySet<string>;
  toggle: (runId: string) => void;
  openRun: (runId: string) => void;
}
