import { LineageResponse } from '../../api/models';

/** The kinds of node a lineage graph draws, left to right. */
export type LineageKind = 'data' | 'code' | 'step' | 'run' | 'model';

/** The kinds in the legend's order, with their names and colours. */
export const LINEAGE_KINDS: {
  kind: LineageKind;
  name: string;
  color: string;
}[] = [
  { kind: 'data', name: 'data', color: '#2e7d32' },
  { kind: 'code', name: 'notebook / code', color: '#6a1b9a' },
  { kind: 'step', name: 'upstream step', color: '#ef6c00' },
  { kind: 'run', name: 'run', color: '#1565c0' },
  { kind: 'model', name: 'model version', color: '#c62828' }
];

/**
 * One node: where it sits (`layer` left to right, `row` top to bottom) and what a
 * click on it does (`runId`: open the run; `path`: open the file).
 */
export interface ILineageNode {
  id: string;
  kind: LineageKind;
  /** Short text under the node. */
  label: string;
  /** Full text of the tooltip (one item per line). */
  details: string[];
  layer: number;
  row: number;
  runId?: string;
  /** A file inside the workspace (relative path) the node opens. */
  path?: string;
}

/** A lineage as nodes in layers and the edges between them. */
export interface ILineageGraph {
  nodes: ILineageNode[];
  edges: { source: string; target: string }[];
  layers: number;
  rows: number;
}

type Lineage = LineageResponse['lineage'];
type Upstream = {
  step?: string;
  run_id?: string;
  needs?: string[];
  outputs?: Record<string, unknown>;
};

const LABEL_CHARS = 22;

function short(text: string): string {
  return text.length > LABEL_CHARS
    ? `…${text.slice(text.length - LABEL_CHARS + 1)}`
    : text;
}

function baseName(path: string): string {
  const parts = path.split('/').filter(part => part !== '');
  return parts.length > 0 ? parts[parts.length - 1] : path;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A relative path the workspace can open (never absolute, never a URI). */
function workspacePath(path: unknown): string | undefined {
  return typeof path === 'string' &&
    path !== '' &&
    !path.startsWith('/') &&
    !path.includes('://')
    ? path
    : undefined;
}

/**
 * The lineage of a model version as a layered left-to-right graph:
 * data (and code) → upstream steps → the run that logged the version → the version.
 */
export function lineageGraph(info: Lineage): ILineageGraph {
  const nodes = new Map<string, Omit<ILineageNode, 'row'>>();
  const edges: { source: string; target: string }[] = [];
  const edge = (source: string, target: string) => {
    if (
      source !== target &&
      !edges.some(e => e.source === source && e.target === target)
    ) {
      edges.push({ source, target });
    }
  };

  // Upstream steps: their depth from their own needs (a step with none is depth 0).
  const upstream = ((info.upstream ?? []) as Upstream[]).filter(
    item => typeof item.step === 'string'
  );
  const byStep = new Map(upstream.map(item => [item.step as string, item]));
  const depth = new Map<string, number>();
  const depthOf = (step: string, seen: Set<string> = new Set()): number => {
    if (depth.has(step)) {
      return depth.get(step) as number;
    }
    if (seen.has(step)) {
      return 0; // a cycle cannot be recorded, but never loop on one
    }
    seen.add(step);
    const needs = (byStep.get(step)?.needs ?? []).filter(need =>
      byStep.has(need)
    );
    const value =
      needs.length === 0
        ? 0
        : 1 + Math.max(...needs.map(n => depthOf(n, seen)));
    depth.set(step, value);
    return value;
  };
  upstream.forEach(item => depthOf(item.step as string));
  const stepLayers = upstream.length > 0 ? Math.max(...depth.values()) + 1 : 0;
  const runLayer = 1 + stepLayers;
  const modelLayer = runLayer + 1;

  const runId = info.run?.run_id;
  const runNode = runId ? `run:${runId}` : 'run:unknown';
  const pipeline = info.pipeline as Record<string, unknown> | null;
  const stepName =
    pipeline && typeof pipeline.step === 'string' ? pipeline.step : null;
  nodes.set(runNode, {
    id: runNode,
    kind: 'run',
    label: short(stepName ? `step ${stepName}` : info.run?.name || 'run'),
    details: runId
      ? [
          `${stepName ? `pipeline step ${stepName}` : 'run'} ${runId}`,
          `status: ${info.run?.status ?? 'unknown'}`,
          ...Object.entries(info.parameters ?? {})
            .slice(0, 8)
            .map(([key, value]) => `${key} = ${text(value)}`),
          'Click to open the run'
        ]
      : ['The run that logged this version was deleted or not recorded'],
    layer: runLayer,
    runId
  });
  const modelNode = `model:${info.model.name}:${info.model.version}`;
  const aliases = info.model.aliases.map(alias => `@${alias}`).join(' ');
  nodes.set(modelNode, {
    id: modelNode,
    kind: 'model',
    label: short(`${info.model.name} v${info.model.version}`),
    details: [
      `${info.model.source}${aliases ? ` ${aliases}` : ''}`,
      `flavor: ${info.model.flavor ?? 'unknown'}`
    ],
    layer: modelLayer
  });
  edge(runNode, modelNode);

  for (const item of upstream) {
    const step = item.step as string;
    const id = `step:${step}`;
    nodes.set(id, {
      id,
      kind: 'step',
      label: short(`step ${step}`),
      details: [
        `upstream step ${step}`,
        ...(item.run_id ? [`run ${item.run_id}`, 'Click to open the run'] : [])
      ],
      layer: 1 + (depth.get(step) ?? 0),
      runId: item.run_id
    });
  }
  for (const item of upstream) {
    const step = item.step as string;
    const needs = (item.needs ?? []).filter(need => byStep.has(need));
    needs.forEach(need => edge(`step:${need}`, `step:${step}`));
    // Steps nothing else needs feed the run directly.
    if (!upstream.some(other => (other.needs ?? []).includes(step))) {
      edge(`step:${step}`, runNode);
    }
  }

  // Data: files read (`file:PATH`), upstream outputs (`STEP.OUTPUT`), datasets logged.
  for (const [key, value] of Object.entries(info.data ?? {})) {
    const id = `data:${key}`;
    const fingerprint = text(value);
    let label = key;
    let path: string | undefined;
    let source: string | undefined;
    if (key.startsWith('file:')) {
      label = baseName(key.slice(5));
      path = workspacePath(key.slice(5));
    } else {
      const dot = key.indexOf('.');
      const step = dot > 0 ? key.slice(0, dot) : '';
      if (byStep.has(step)) {
        source = `step:${step}`;
        label = key.slice(dot + 1);
      }
    }
    nodes.set(id, {
      id,
      kind: 'data',
      label: short(label),
      details: [
        key.startsWith('file:') ? key.slice(5) : key,
        `fingerprint: ${fingerprint.slice(0, 80)}`,
        ...(path ? ['Click to open the file'] : [])
      ],
      layer: source ? runLayer - 0.5 : 0,
      path
    });
    if (source) {
      edge(source, id);
    }
    edge(id, runNode);
  }

  // Code: the notebook (or step notebook) and the git commit.
  const notebook = info.notebook as Record<string, unknown> | null;
  const codePaths = [
    notebook?.path,
    pipeline?.notebook,
    pipeline?.output_notebook
  ].filter((path, index, all) => path && all.indexOf(path) === index);
  codePaths.forEach((path, index) => {
    const id = `code:${String(path)}`;
    const executed = path === pipeline?.output_notebook && index > 0;
    nodes.set(id, {
      id,
      kind: 'code',
      label: short(baseName(String(path))),
      details: [
        `${executed ? 'executed notebook' : 'notebook'} ${String(path)}`,
        ...(notebook?.cell && path === notebook?.path
          ? [`cell [${String(notebook.cell)}]`]
          : []),
        ...(workspacePath(path) ? ['Click to open the notebook'] : [])
      ],
      layer: executed ? modelLayer - 0.5 : 0,
      path: workspacePath(path)
    });
    if (executed) {
      edge(runNode, id);
    } else {
      edge(id, runNode);
    }
  });
  const git = info.git as Record<string, unknown> | null;
  if (git && typeof git.commit === 'string') {
    const id = `git:${git.commit}`;
    nodes.set(id, {
      id,
      kind: 'code',
      label: `git ${git.commit.slice(0, 8)}${git.dirty ? ' (dirty)' : ''}`,
      details: [
        `git commit ${git.commit}`,
        ...(git.branch ? [`branch ${String(git.branch)}`] : []),
        ...(git.dirty ? ['uncommitted changes when it ran'] : [])
      ],
      layer: 0
    });
    edge(id, runNode);
  }

  // Rows: each layer's nodes stacked and centred on the tallest layer.
  const layerValues = [...new Set([...nodes.values()].map(n => n.layer))].sort(
    (a, b) => a - b
  );
  const columns = new Map(layerValues.map((layer, index) => [layer, index]));
  const perColumn = new Map<number, Omit<ILineageNode, 'row'>[]>();
  for (const node of nodes.values()) {
    const column = columns.get(node.layer) as number;
    perColumn.set(column, [...(perColumn.get(column) ?? []), node]);
  }
  const rows = Math.max(...[...perColumn.values()].map(list => list.length));
  const placed: ILineageNode[] = [];
  for (const [column, list] of perColumn) {
    const offset = (rows - list.length) / 2;
    list.forEach((node, index) =>
      placed.push({ ...node, layer: column, row: offset + index })
    );
  }
  return { nodes: placed, edges, layers: layerValues.length, rows };
}
