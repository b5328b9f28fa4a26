import React, { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import {
  BarChart,
  GraphChart,
  LineChart,
  ParallelChart,
  ScatterChart
} from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  GraphChart,
  LineChart,
  ParallelChart,
  ScatterChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  CanvasRenderer
]);

/** An ECharts option object (see https://echarts.apache.org/en/option.html). */
export type ChartOption = echarts.EChartsCoreOption;

/**
 * One ECharts chart (canvas), resized with its box, re-rendered when `option` changes.
 *
 * The one charting component of the extension: line charts over steps, parallel
 * coordinates, scatter plots, bar charts and graphs (lineage) all go through it.
 */
export function Chart(props: {
  option: ChartOption;
  /** CSS height of the chart box (default 240px). */
  height?: number | string;
  className?: string;
  /** Called with the clicked item's `data` / `name` / `seriesName`. */
  onClick?: (params: {
    data?: unknown;
    name?: string;
    seriesName?: string;
    dataType?: string;
  }) => void;
  /** Shown to screen readers and as the test hook `aria-label`. */
  label?: string;
}): React.ReactElement {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const onClick = useRef(props.onClick);
  onClick.current = props.onClick;

  useEffect(() => {
    if (!box.current) {
      return;
    }
    const instance = echarts.init(box.current, undefined, {
      renderer: 'canvas'
    });
    chart.current = instance;
    instance.on('click', params => onClick.current?.(params as never));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(props.option, { notMerge: true });
  }, [props.option]);

  return (
    <div
      ref={box}
      className={`jp-MLOps-chart ${props.className ?? ''}`}
      style={{ height: props.height ?? 240, width: '100%' }}
      role="img"
      aria-label={props.label}
    />
  );
}
