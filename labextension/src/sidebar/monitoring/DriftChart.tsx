import React, { useMemo } from 'react';

import { MonitoredModel } from '../../api/monitoring';
import { Chart, ChartOption } from '../../components';
import { formatAbsolute } from '../../format';

const DRIFT_COLOR = '#d32f2f';
const CLEAN_COLOR = '#1565c0';
/** Pixels around the drift chart's plot (axis names and labels live there). */
export const DRIFT_INSETS = { left: 64, right: 18, top: 16, bottom: 44 };

/**
 * Drift share per check over time (one ECharts line); the threshold as a dashed
 * line, checks that found dataset drift in red; a click opens that check's run.
 */
export function DriftChart(props: {
  model: string;
  history: MonitoredModel['history'];
  openRun: (runId: string) => void;
}): React.ReactElement | null {
  const points = props.history.filter(
    item => item.drift_share !== null && item.time !== null
  );
  const option = useMemo(() => driftOption(points), [props.history]);
  if (points.length === 0) {
    return null;
  }
  const times = points.map(point => point.time as number);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return (
    <div className="jp-MLOps-driftOverTime">
      <Chart
        option={option}
        height={190}
        className="jp-MLOps-driftChart"
        label={`Drift share of ${props.model} over the last ${points.length} checks`}
        onClick={params => {
          const runId = (params.data as { runId?: string } | undefined)?.runId;
          if (runId) {
            props.openRun(runId);
          }
        }}
      />
      <ul className="jp-MLOps-visuallyHidden jp-MLOps-driftPoints">
        {points.map(point => (
          <li
            key={point.run_id}
            className="jp-MLOps-driftPoint"
            data-run-id={point.run_id}
            data-drift={String(point.dataset_drift)}
            data-x={
              last > first
                ? ((point.time ?? first) - first) / (last - first)
                : 0.5
            }
            data-y={1 - (point.drift_share ?? 0)}
          >
            <button type="button" onClick={() => props.openRun(point.run_id)}>
              {`${formatAbsolute(point.time)}: ${Math.round((point.drift_share ?? 0) * 100)}% of columns drifted`}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function driftOption(points: MonitoredModel['history']): ChartOption {
  const threshold = [...points]
    .reverse()
    .find(point => point.threshold !== null)?.threshold;
  return {
    animation: false,
    // Exactly these insets (ECharts 6 would otherwise grow them around the labels).
    grid: { ...DRIFT_INSETS, outerBoundsMode: 'none' },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (params: {
        data?: {
          value: [number, number];
          version?: string | null;
          drift?: boolean | null;
        };
      }) => {
        const data = params.data;
        if (!data) {
          return '';
        }
        const verdict =
          data.drift === null
            ? 'verdict unknown'
            : data.drift
              ? 'dataset drift'
              : 'no dataset drift';
        return (
          `${formatAbsolute(data.value[0])}<br/>` +
          `${Math.round(data.value[1] * 100)}% of columns drifted (${verdict})` +
          (data.version ? `<br/>version ${data.version}` : '') +
          "<br/>Click to open the check's run"
        );
      }
    },
    xAxis: {
      type: 'time',
      name: 'check time',
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: { fontSize: 11, color: '#555' },
      axisLabel: {
        fontSize: 10,
        hideOverlap: true,
        color: '#555',
        formatter: {
          year: '{yyyy}',
          month: '{MMM} {yyyy}',
          day: '{d} {MMM}',
          hour: '{d} {MMM} {HH}:{mm}',
          minute: '{HH}:{mm}',
          second: '{HH}:{mm}:{ss}',
          millisecond: '{HH}:{mm}:{ss}'
        }
      },
      splitNumber: 3,
      // The plot spans exactly the first to the last check.
      min: 'dataMin',
      max: 'dataMax'
    },
    yAxis: {
      type: 'value',
      name: 'drifted columns (share)',
      nameLocation: 'middle',
      nameGap: 44,
      nameTextStyle: { fontSize: 11, color: '#555' },
      min: 0,
      max: 1,
      interval: 0.25,
      axisLabel: {
        fontSize: 10,
        color: '#555',
        formatter: (value: number) => `${Math.round(value * 100)}%`
      }
    },
    series: [
      {
        type: 'line',
        name: 'drift share',
        symbol: 'circle',
        symbolSize: 9,
        lineStyle: { color: '#888', width: 1.5 },
        data: points.map(point => ({
          value: [point.time, point.drift_share],
          runId: point.run_id,
          version: point.version,
          drift: point.dataset_drift,
          itemStyle: {
            color: point.dataset_drift ? DRIFT_COLOR : CLEAN_COLOR
          }
        })),
        markLine:
          threshold === undefined || threshold === null
            ? undefined
            : {
                silent: true,
                symbol: 'none',
                lineStyle: { type: 'dashed', color: DRIFT_COLOR },
                label: {
                  formatter: `drift from ${Math.round(threshold * 100)}%`,
                  position: 'insideEndTop',
                  fontSize: 10,
                  color: DRIFT_COLOR
                },
                data: [{ yAxis: threshold }]
              }
      }
    ]
  };
}
