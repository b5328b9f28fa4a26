import React, { useMemo, useState } from 'react';

import { Comparison } from '../api/comparison';
import { Chart, ChartOption } from '../components';
import { runLabel } from './format';

/** Series drawn in one step chart at most. */
const MAX_SERIES = 100;

/** A param's values as numbers when every set value is one, else null. */
function numeric(values: (string | null)[]): (number | null)[] | null {
  const out: (number | null)[] = [];
  for (const value of values) {
    if (value === null) {
      out.push(null);
      continue;
    }
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) {
      return null;
    }
    out.push(parsed);
  }
  return out;
}

export function ParallelChart(props: {
  comparison: Comparison;
}): React.ReactElement {
  const option = useMemo<ChartOption>(() => {
    const { comparison } = props;
    const params = comparison.params.filter(p => p.differs).slice(0, 12);
    const metrics = comparison.metrics.slice(0, 12);
    const axes: Record<string, unknown>[] = [];
    const columns: ((index: number) => number | string | null)[] = [];
    for (const param of params) {
      const numbers = numeric(param.values);
      if (numbers) {
        axes.push({ dim: axes.length, name: param.key, type: 'value' });
        columns.push(index => numbers[index]);
      } else {
        const categories = Array.from(
          new Set(param.values.map(v => v ?? '–'))
        ).sort();
        axes.push({
          dim: axes.length,
          name: param.key,
          type: 'category',
          data: categories
        });
        columns.push(index => param.values[index] ?? '–');
      }
    }
    for (const metric of metrics) {
      axes.push({
        dim: axes.length,
        name: metric.key,
        type: 'value',
        scale: true,
        inverse: metric.higher_is_better === false,
        // An inverted axis ends at the bottom: keep its name on top like the others.
        nameLocation: metric.higher_is_better === false ? 'start' : 'end'
      });
      columns.push(index => metric.values[index]);
    }
    const data = comparison.runs.map((_run, index) => ({
      name: runLabel(comparison, index),
      value: columns.map(column => column(index) ?? '-')
    }));
    return {
      animation: false,
      parallelAxis: axes,
      parallel: {
        left: 60,
        right: 80,
        top: 40,
        bottom: 30,
        parallelAxisDefault: {
          nameLocation: 'end',
          nameGap: 12,
          nameTextStyle: { fontSize: 11 },
          axisLabel: { fontSize: 10, hideOverlap: true }
        }
      },
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'parallel',
          lineStyle: {
            width: comparison.runs.length > 100 ? 0.5 : 1.5,
            opacity: comparison.runs.length > 100 ? 0.3 : 0.8
          },
          progressive: 0,
          data
        }
      ]
    };
  }, [props.comparison]);
  return (
    <Chart
      option={option}
      height={280}
      label="Parallel coordinates of params and metrics"
    />
  );
}

export function Scatter(props: {
  comparison: Comparison;
}): React.ReactElement | null {
  const { comparison } = props;
  const params = comparison.params.filter(p => p.differs);
  const [x, setX] = useState<string>(params[0]?.key ?? '');
  const [y, setY] = useState<string>(comparison.metrics[0]?.key ?? '');
  const option = useMemo<ChartOption | null>(() => {
    const param = comparison.params.find(p => p.key === x);
    const metric = comparison.metrics.find(m => m.key === y);
    if (!param || !metric) {
      return null;
    }
    const numbers = numeric(param.values);
    const points = comparison.runs
      .map((_run, index) => ({
        name: runLabel(comparison, index),
        value: [
          numbers ? numbers[index] : param.values[index],
          metric.values[index]
        ]
      }))
      .filter(point => point.value[0] !== null && point.value[1] !== null);
    return {
      animation: false,
      grid: { left: 60, right: 20, top: 20, bottom: 40 },
      tooltip: { trigger: 'item' },
      xAxis: numbers
        ? {
            type: 'value',
            name: x,
            nameLocation: 'middle',
            nameGap: 25,
            scale: true
          }
        : {
            type: 'category',
            name: x,
            nameLocation: 'middle',
            nameGap: 25,
            data: Array.from(
              new Set(param.values.filter(v => v !== null))
            ).sort()
          },
      yAxis: { type: 'value', name: y, scale: true },
      series: [{ type: 'scatter', symbolSize: 8, data: points }]
    };
  }, [comparison, x, y]);
  if (!params.length || !comparison.metrics.length) {
    return null;
  }
  return (
    <section>
      <h3 className="jp-MLOps-compare-heading">Param vs metric</h3>
      <div className="jp-MLOps-compare-toolbar">
        <label>
          x{' '}
          <select
            aria-label="Scatter param"
            value={x}
            onChange={e => setX(e.target.value)}
          >
            {params.map(p => (
              <option key={p.key}>{p.key}</option>
            ))}
          </select>
        </label>
        <label>
          y{' '}
          <select
            aria-label="Scatter metric"
            value={y}
            onChange={e => setY(e.target.value)}
          >
            {comparison.metrics.map(m => (
              <option key={m.key}>{m.key}</option>
            ))}
          </select>
        </label>
      </div>
      {option ? (
        <Chart option={option} height={240} label={`${y} against ${x}`} />
      ) : null}
    </section>
  );
}

export function StepCharts(props: {
  comparison: Comparison;
}): React.ReactElement | null {
  const { comparison } = props;
  const charts = useMemo(
    () =>
      comparison.histories.map(history => {
        const series = history.series.slice(0, MAX_SERIES);
        const option: ChartOption = {
          animation: false,
          grid: { left: 60, right: 20, top: 30, bottom: 40 },
          tooltip: { trigger: 'axis' },
          legend:
            series.length <= 10
              ? { type: 'scroll', top: 0, textStyle: { fontSize: 11 } }
              : undefined,
          xAxis: {
            type: 'value',
            name: 'step',
            nameLocation: 'middle',
            nameGap: 25
          },
          yAxis: { type: 'value', name: history.key, scale: true },
          series: series.map(s => ({
            type: 'line',
            name: runLabel(comparison, s.run_index),
            showSymbol: s.steps.length < 30,
            data: s.steps.map((step, i) => [step, s.values[i]])
          }))
        };
        return {
          key: history.key,
          option,
          clipped: history.series.length - series.length
        };
      }),
    [comparison]
  );
  if (!charts.length) {
    return null;
  }
  return (
    <section>
      <h3 className="jp-MLOps-compare-heading">Over steps</h3>
      <div className="jp-MLOps-compare-charts">
        {charts.map(chart => (
          <figure key={chart.key} className="jp-MLOps-compare-figure">
            <figcaption>
              {chart.key}
              {chart.clipped > 0 ? ` (first ${MAX_SERIES} runs)` : ''}
            </figcaption>
            <Chart
              option={chart.option}
              height={220}
              label={`${chart.key} over steps`}
            />
          </figure>
        ))}
      </div>
    </section>
  );
}
