// ECharts setup: only the chart types and components the pages use are
// bundled, with colours read from the page's CSS (light or dark theme).

import * as echarts from "echarts/core";
import { GaugeChart, LineChart, BarChart, TreemapChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkAreaComponent, MarkLineComponent, AriaComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([GaugeChart, LineChart, BarChart, TreemapChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkAreaComponent, MarkLineComponent, AriaComponent, CanvasRenderer]);

export { echarts };

const live = new Set<echarts.ECharts>();

/** css reads a CSS custom property of the document. */
export function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** palette is the series colours of the current theme. */
export function palette(): string[] {
  return [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => css("--c" + i));
}

/** levelColors are the five gauge level colours, strong bearish first. */
export function levelColors(): string[] {
  return ["--strong-bear", "--bear", "--neutral", "--bull", "--strong-bull"].map(css);
}

/** chart creates a chart in el with the theme's text and axis colours. */
export function chart(el: HTMLElement, option: echarts.EChartsCoreOption): echarts.ECharts {
  const c = echarts.init(el, undefined, { renderer: "canvas" });
  const text = css("--fg");
  const muted = css("--muted");
  const line = css("--line");
  c.setOption({
    color: palette(),
    backgroundColor: "transparent",
    textStyle: { color: text, fontFamily: css("--font") },
    aria: { enabled: true, label: el.getAttribute("aria-label") ? { description: el.getAttribute("aria-label") } : {} },
    animation: false,
    tooltip: { backgroundColor: css("--bg-raised"), borderColor: line, textStyle: { color: text } },
    legend: { textStyle: { color: text }, inactiveColor: muted },
  });
  c.setOption(option);
  for (const ax of ["xAxis", "yAxis"]) {
    const cur = (c.getOption() as Record<string, unknown[]>)[ax];
    if (cur) c.setOption({ [ax]: cur.map(() => ({ axisLine: { lineStyle: { color: line } }, axisLabel: { color: muted }, splitLine: { lineStyle: { color: line, opacity: 0.5 } } })) });
  }
  live.add(c);
  return c;
}

/** disposeAll frees the charts of the previous page. */
export function disposeAll(): void {
  for (const c of live) c.dispose();
  live.clear();
}

/** resizeAll fits every chart to its box. */
export function resizeAll(): void {
  for (const c of live) c.resize();
}

/** timeAxis is a date x axis with zoom. */
export function timeZoom(): object[] {
  return [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }];
}
