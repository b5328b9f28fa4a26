import React, { useMemo, useState } from 'react';

import { getLineage, LineageResponse } from '../../api/models';
import { Chart, ChartOption, ErrorMessage, Loading } from '../../components';
import { useLoadable } from '../../hooks';
import { ISidebarContext } from '../Panel';
import {
  ILineageGraph,
  ILineageNode,
  LINEAGE_KINDS,
  lineageGraph
} from './lineageGraph';

/** Pixels around the drawing, for labels under the nodes and the legend on top. */
export const GRAPH_INSETS = { left: 48, right: 48, top: 40, bottom: 36 };
const ROW_HEIGHT = 64;

/**
 * Where a version came from, drawn as a graph: data and code → upstream steps → the
 * run → the version. A run or step opens its run view; a file opens in the workspace;
 * every node says more in its tooltip.
 */
export function LineageView(props: {
  name: string;
  version: string;
  context: ISidebarContext;
}): React.ReactElement {
  const [token, setToken] = useState(0);
  const lineage = useLoadable<LineageResponse>(
    signal => getLineage(props.name, props.version, { signal }),
    [props.name, props.version, token]
  );
  const graph = useMemo(
    () =>
      lineage.state === 'ready' ? lineageGraph(lineage.value.lineage) : null,
    [lineage]
  );
  const option = useMemo(() => (graph ? graphOption(graph) : null), [graph]);

  if (lineage.state === 'loading') {
    return <Loading />;
  }
  if (lineage.state === 'error') {
    return (
      <ErrorMessage
        message={lineage.message}
        onRetry={() => setToken(t => t + 1)}
      />
    );
  }
  if (!graph || !option) {
    return <Loading />;
  }
  const activate = (node: ILineageNode | undefined) => {
    if (!node) {
      return;
    }
    if (node.runId) {
      props.context.openRun(node.runId);
    } else if (node.path) {
      props.context.openFile(node.path);
    }
  };
  const height =
    GRAPH_INSETS.top + GRAPH_INSETS.bottom + graph.rows * ROW_HEIGHT;
  return (
    <div
      className="jp-MLOps-lineage"
      aria-label={`Lineage of version ${props.version}`}
    >
      <Chart
        option={option}
        height={height}
        className="jp-MLOps-lineageGraph"
        label={`Lineage graph of ${props.name} version ${props.version}`}
        onClick={params => {
          if (params.dataType === 'node') {
            activate(
              graph.nodes.find(
                node => node.id === (params.data as { id?: string })?.id
              )
            );
          }
        }}
      />
      {/* The same nodes for the keyboard and screen readers; their place in the
          drawing (fractions of its inner box) lets tests click the canvas. */}
      <ul className="jp-MLOps-lineageNodes jp-MLOps-visuallyHidden">
        {graph.nodes.map(node => (
          <li
            key={node.id}
            className="jp-MLOps-lineageNode"
            data-kind={node.kind}
            data-node={node.id}
            data-x={(node.layer + 0.5) / graph.layers}
            data-y={(node.row + 0.5) / graph.rows}
            data-run-id={node.runId}
            data-path={node.path}
          >
            {node.runId || node.path ? (
              <button type="button" onClick={() => activate(node)}>
                {node.details[0]}
              </button>
            ) : (
              node.details.join('; ')
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The ECharts option: a `graph` series on a hidden cartesian grid, so each node sits
 * exactly at (layer, row) and the drawing maps linearly onto the chart box.
 */
export function graphOption(graph: ILineageGraph): ChartOption {
  const colors = new Map(LINEAGE_KINDS.map(item => [item.kind, item.color]));
  const categories = LINEAGE_KINDS.map(item => ({
    name: item.name,
    itemStyle: { color: item.color }
  }));
  const categoryOf = new Map(LINEAGE_KINDS.map((item, i) => [item.kind, i]));
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (params: {
        dataType?: string;
        data?: { details?: string[] };
      }) =>
        params.dataType === 'node'
          ? (params.data?.details ?? []).map(escapeHtml).join('<br/>')
          : ''
    },
    legend: {
      top: 0,
      left: 'center',
      itemWidth: 10,
      itemHeight: 10,
      textStyle: { fontSize: 11, color: '#555' },
      data: LINEAGE_KINDS.filter(item =>
        graph.nodes.some(node => node.kind === item.kind)
      ).map(item => item.name)
    },
    grid: { ...GRAPH_INSETS, outerBoundsMode: 'none' },
    xAxis: { type: 'value', show: false, min: 0, max: graph.layers },
    yAxis: {
      type: 'value',
      show: false,
      inverse: true,
      min: 0,
      max: graph.rows
    },
    series: [
      {
        type: 'graph',
        coordinateSystem: 'cartesian2d',
        layout: 'none',
        symbolSize: 18,
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 7,
        categories,
        label: {
          show: true,
          position: 'bottom',
          fontSize: 11,
          width: 96,
          overflow: 'break',
          color: '#333'
        },
        lineStyle: { color: '#8a8a8a', width: 1.2, curveness: 0.08 },
        emphasis: { focus: 'adjacency', lineStyle: { width: 2 } },
        data: graph.nodes.map(node => ({
          id: node.id,
          name: node.id,
          value: [node.layer + 0.5, node.row + 0.5],
          category: categoryOf.get(node.kind),
          itemStyle: { color: colors.get(node.kind) },
          symbol: node.kind === 'data' ? 'rect' : 'circle',
          label: { formatter: node.label },
          details: node.details,
          cursor: node.runId || node.path ? 'pointer' : 'default'
        })),
        links: graph.edges
      }
    ]
  };
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
