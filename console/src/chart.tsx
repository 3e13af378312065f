import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

const COLOURS = ['#1d70b8', '#d4351c', '#00703c', '#f47738', '#4c2c92', '#b58840', '#28a197', '#6f72af', '#912b88', '#505a5f'];

/**
 * A uPlot chart (it draws on a canvas and styles its elements through the CSSOM, which the console's
 * CSP allows). `categories` label the x positions (divisions, days); a table beside it carries the
 * same figures for screen readers and for reading exact values.
 */
export function Chart({ title, categories, series, bars }: { title: string; categories: string[]; series: ChartSeries[]; bars?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || categories.length === 0) return;
    const width = Math.max(320, Math.min(960, el.clientWidth || 640));
    const plot = new uPlot(
      {
        title,
        width,
        height: 300,
        // One slot per category, half a slot of room either side, a tick (and label) on each.
        scales: { x: { time: false, range: () => [-0.5, categories.length - 0.5] } },
        axes: [
          {
            splits: () => categories.map((_c, i) => i),
            values: (_u, ticks) => ticks.map((t) => categories[Math.round(t)] ?? ''),
            rotate: categories.length > 6 ? -45 : 0,
            size: 80,
          },
          {},
        ],
        series: [
          { label: 'x', value: (_u, v) => categories[Math.round(v)] ?? '' },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length],
            fill: bars ? COLOURS[i % COLOURS.length] : undefined,
            width: 2,
            paths: bars ? uPlot.paths.bars?.({ size: [0.8 / Math.max(1, series.length)], align: 0 }) : undefined,
          })),
        ],
      },
      [categories.map((_c, i) => i), ...series.map((s) => s.values)],
      el,
    );
    return () => plot.destroy();
  }, [title, categories, series, bars]);
  return <div class="chart" ref={box} role="img" aria-label={`${title} (the table below lists the same figures)`} />;
}
