// <tps-chart>: tokens/s over decode time for each side, on a plain canvas (no dependency).
// Each point is a side's running rate after a step: tokens so far / step time so far.
import { LitElement, css, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { SeriesPoint } from '../decode/metrics.ts';

export interface ChartSeries {
  label: string;
  color: string;
  points: SeriesPoint[];
}

@customElement('tps-chart')
export class TpsChart extends LitElement {
  @property({ attribute: false }) series: ChartSeries[] = [];
  @query('canvas') private canvas?: HTMLCanvasElement;
  private resizer?: ResizeObserver;

  static override styles = css`
    :host {
      display: block;
    }
    canvas {
      display: block;
      width: 100%;
      height: 10rem;
    }
    .legend {
      display: flex;
      gap: 1rem;
      margin-top: 0.3rem;
      color: #5b6270;
      font-size: 0.8rem;
    }
    .legend i {
      display: inline-block;
      width: 0.9rem;
      height: 3px;
      margin-right: 0.3rem;
      vertical-align: middle;
    }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizer = new ResizeObserver(() => this.draw());
    this.resizer.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizer?.disconnect();
  }

  protected override render() {
    return html`<canvas role="img" aria-label="Tokens per second over decode time, baseline and MTP"></canvas>
      <div class="legend">${this.series.map((s) => html`<span><i style="background:${s.color}"></i>${s.label}</span>`)}</div>`;
  }

  protected override updated(): void {
    this.draw();
  }

  private draw(): void {
    const canvas = this.canvas;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);

    const lines = this.series.map((s) => ({
      ...s,
      xy: s.points.filter((p) => p.ms > 0).map((p) => [p.ms / 1000, (p.tokens / p.ms) * 1000] as const),
    }));
    const all = lines.flatMap((l) => l.xy);
    const xStep = niceStep(Math.max(...all.map(([x]) => x), 0.001) / 4);
    const yStep = niceStep((Math.max(...all.map(([, y]) => y), 1) * 1.05) / 4);
    const xTicks = Math.max(1, Math.ceil(Math.max(...all.map(([x]) => x), 0.001) / xStep));
    const maxX = xTicks * xStep;
    const maxY = 4 * yStep;
    // Sizes in px at the page's usual 16px root font size, scaled with it (the kiosk's large type).
    const k = (parseFloat(getComputedStyle(document.documentElement).fontSize) || 16) / 16;
    const pad = { left: 40 * k, right: 14 * k, top: 8 * k, bottom: 22 * k };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const sx = (x: number) => pad.left + (x / maxX) * plotW;
    const sy = (y: number) => pad.top + plotH - (y / maxY) * plotH;

    g.font = `${Math.round(11 * k)}px system-ui, sans-serif`;
    g.fillStyle = '#5b6270';
    g.strokeStyle = '#e5e7eb';
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const y = yStep * i;
      g.beginPath();
      g.moveTo(pad.left, Math.round(sy(y)) + 0.5);
      g.lineTo(width - pad.right, Math.round(sy(y)) + 0.5);
      g.stroke();
      g.fillText(formatTick(y), pad.left - 6 * k, sy(y));
    }
    g.textBaseline = 'top';
    for (let i = 0; i <= xTicks; i++) {
      const x = xStep * i;
      g.textAlign = i === 0 ? 'left' : i === xTicks ? 'right' : 'center';
      g.fillText(`${formatTick(x)} s`, sx(x), height - pad.bottom + 6 * k);
    }
    g.textAlign = 'center';
    if (all.length === 0) {
      g.textBaseline = 'middle';
      g.fillText('tokens/s appear here as the race runs', pad.left + plotW / 2, pad.top + plotH / 2);
      return;
    }
    for (const line of lines) {
      if (line.xy.length === 0) continue;
      g.strokeStyle = line.color;
      g.fillStyle = line.color;
      g.lineWidth = 2;
      g.beginPath();
      line.xy.forEach(([x, y], i) => (i === 0 ? g.moveTo(sx(x), sy(y)) : g.lineTo(sx(x), sy(y))));
      g.stroke();
      const [lx, ly] = line.xy[line.xy.length - 1];
      g.beginPath();
      g.arc(sx(lx), sy(ly), 3, 0, 2 * Math.PI);
      g.fill();
    }
  }
}

/** 1, 2, 2.5 or 5 times a power of ten, at least x. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function formatTick(v: number): string {
  return String(+v.toPrecision(3));
}

declare global {
  interface HTMLElementTagNameMap {
    'tps-chart': TpsChart;
  }
}
