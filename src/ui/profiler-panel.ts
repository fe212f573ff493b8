// <profiler-panel>: per-kernel time of one profiled MTP decode step, split by phase (each MTP
// module's catch-up and draft, then the main model's verify), the cost curve T(M), the adapter,
// and an export of the profiled steps as a Chrome trace (Perfetto, chrome://tracing).
// Plain data in (ProfilerView from src/app/race.ts); it fires `profile-step` and never touches
// the GPU: the profiling itself is in src/app/profile.ts.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ProfiledStep } from '../app/profile.ts';
import type { ProfilerView } from '../app/race-types.ts';
import type { DeviceReport } from '../gpu/device.ts';
import { profileTrace } from '../app/trace.ts';
import { formatMs } from './format.ts';

/** What the times are, by profile source. */
export const SOURCE_NOTES = {
  'gpu-timestamps':
    'GPU timestamps (timestamp-query): GPU time per kernel, each kernel in its own compute pass. Chrome may round them to 100 µs unless started with --enable-webgpu-developer-features.',
  'wall-clock': 'timestamp-query absent: wall-clock per kernel, includes submit overhead (each kernel submitted alone and awaited).',
} as const;

const PHASE_LABELS: Record<string, string> = { verify: 'Verify' };
const phaseLabel = (phase: string) => PHASE_LABELS[phase] ?? phase.replace(/^mtp(\d+)$/, 'MTP $1');

/** Kernel times: three decimals below 1 ms (kernels are small), then as the page's other figures. */
export function formatKernelMs(ms: number): string {
  return Number.isFinite(ms) && ms < 1 ? ms.toFixed(3) : formatMs(ms);
}

/** Milliseconds by kernel family and phase, phases in step order, kernels by total time. */
export function kernelTable(step: ProfiledStep): {
  phases: string[];
  rows: { kernel: string; byPhase: Record<string, number>; total: number }[];
  byPhase: Record<string, number>;
  total: number;
} {
  const phases: string[] = [];
  const rows = new Map<string, { kernel: string; byPhase: Record<string, number>; total: number }>();
  const byPhase: Record<string, number> = {};
  let total = 0;
  for (const op of step.profile.ops) {
    if (!phases.includes(op.phase)) phases.push(op.phase);
    const row = rows.get(op.kernel) ?? { kernel: op.kernel, byPhase: {}, total: 0 };
    row.byPhase[op.phase] = (row.byPhase[op.phase] ?? 0) + op.ms;
    row.total += op.ms;
    rows.set(op.kernel, row);
    byPhase[op.phase] = (byPhase[op.phase] ?? 0) + op.ms;
    total += op.ms;
  }
  return { phases, rows: [...rows.values()].sort((a, b) => b.total - a.total), byPhase, total };
}

@customElement('profiler-panel')
export class ProfilerPanel extends LitElement {
  @property({ attribute: false }) profiler?: ProfilerView;
  @property({ attribute: false }) report?: DeviceReport;
  /** Names the trace's process. */
  @property() adapter = '';

  static override styles = css`
    :host {
      display: block;
      font-size: 0.9rem;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.6rem;
      margin-bottom: 0.6rem;
    }
    button {
      padding: 0.35rem 0.9rem;
      border: 1px solid #2563eb;
      border-radius: 6px;
      background: #2563eb;
      color: #fff;
      font: inherit;
      cursor: pointer;
    }
    button.secondary {
      background: #fff;
      color: #2563eb;
    }
    button:disabled {
      border-color: #c3c8d2;
      background: #eceef2;
      color: #8a93a3;
      cursor: default;
    }
    .note {
      color: #5b6270;
    }
    .error {
      color: #b42318;
    }
    .grid {
      display: grid;
      grid-template-columns: minmax(0, 2fr) minmax(14rem, 1fr);
      gap: 1rem 1.5rem;
      align-items: start;
    }
    @media (max-width: 860px) {
      .grid {
        grid-template-columns: 1fr;
      }
    }
    h3 {
      margin: 0.4rem 0 0.3rem;
      color: #5b6270;
      font-size: 0.8rem;
      font-weight: 600;
      letter-spacing: 0.03em;
      text-transform: uppercase;
    }
    p {
      margin: 0 0 0.4rem;
    }
    table {
      width: 100%;
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      padding: 0.15rem 0.5rem;
      border-bottom: 1px solid #eceef2;
      text-align: right;
      white-space: nowrap;
    }
    th:first-child,
    td:first-child {
      text-align: left;
    }
    thead th,
    tfoot th,
    tfoot td {
      color: #5b6270;
      font-weight: 600;
    }
    .bar {
      width: 6rem;
    }
    .bar i {
      display: block;
      height: 0.6rem;
      border-radius: 2px;
      background: #2563eb;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.1rem 0.8rem;
      margin: 0;
    }
    dt {
      color: #5b6270;
    }
    dd {
      margin: 0;
      overflow-wrap: anywhere;
      font-variant-numeric: tabular-nums;
    }
  `;

  protected override render() {
    const p = this.profiler;
    const steps = p?.steps ?? [];
    const last = steps[steps.length - 1];
    return html`
      <div class="actions">
        <button data-action="profile" ?disabled=${!p?.available} @click=${this.profile}>Profile one step</button>
        <button class="secondary" data-action="export-trace" ?disabled=${steps.length === 0} @click=${this.exportTrace}>
          Export trace${steps.length ? ` (${steps.length} step${steps.length === 1 ? '' : 's'})` : ''}
        </button>
        ${p?.busy ? html`<span class="note" data-profiler-status="busy">Profiling one step…</span>` : p?.reason ? html`<span class="note">${p.reason}</span>` : nothing}
        ${p?.error ? html`<span class="error" data-profiler-status="error">${p.error}</span>` : nothing}
      </div>
      <div class="grid">
        <div>
          ${last ? this.renderStep(last, steps.length) : html`<p class="note">No step profiled yet. A profiled step is slower than a real one (each kernel is timed on its own); the race's figures never include one.</p>`}
        </div>
        <div>${this.renderAdapter()}</div>
      </div>
    `;
  }

  private renderStep(step: ProfiledStep, n: number) {
    const t = kernelTable(step);
    const t1 = step.costCurveMs['1'];
    const costs = Object.entries(step.costCurveMs);
    const worst = Math.max(...costs.map(([, ms]) => ms));
    return html`
      <p class="note" data-source=${step.profile.source}>${SOURCE_NOTES[step.profile.source]}</p>
      <p>
        Step ${n}: position ${step.position},
        ${
          step.tree
            ? `a draft tree of ${step.tree.rows} rows (candidates per depth ${step.tree.shape}; ${step.accepted} depth${step.accepted === 1 ? '' : 's'} kept),`
            : `${step.depth} draft${step.depth === 1 ? '' : 's'} (${step.accepted} accepted),`
        }
        <b data-total-ms=${t.total}>${formatKernelMs(t.total)} ms</b> over
        <b data-dispatches-mtp=${step.dispatches.mtp}>${step.dispatches.mtp} dispatches</b>; a baseline step has
        <b data-dispatches-baseline=${step.dispatches.baseline}>${step.dispatches.baseline}</b>.
      </p>
      <h3>Per kernel and phase, ms</h3>
      <table class="kernels">
        <thead>
          <tr>
            <th>Kernel</th>
            ${t.phases.map((ph) => html`<th data-phase=${ph}>${phaseLabel(ph)}</th>`)}
            <th>Total</th>
            <th>Share</th>
          </tr>
        </thead>
        <tbody>
          ${t.rows.map(
            (row) =>
              html`<tr data-kernel=${row.kernel}>
                <td>${row.kernel}</td>
                ${t.phases.map((ph) => html`<td data-phase=${ph} data-ms=${row.byPhase[ph] ?? 0}>${row.byPhase[ph] === undefined ? '—' : formatKernelMs(row.byPhase[ph])}</td>`)}
                <td data-total data-ms=${row.total}>${formatKernelMs(row.total)}</td>
                <td>${t.total > 0 ? ((row.total / t.total) * 100).toFixed(0) : '—'}%</td>
              </tr>`,
          )}
        </tbody>
        <tfoot>
          <tr data-phase-totals>
            <th>Phase total</th>
            ${t.phases.map((ph) => html`<td data-phase=${ph} data-ms=${t.byPhase[ph]}>${formatKernelMs(t.byPhase[ph])}</td>`)}
            <td data-ms=${t.total}>${formatKernelMs(t.total)}</td>
            <td>100%</td>
          </tr>
        </tfoot>
      </table>
      <h3>Cost curve T(M): a verify block of M positions, submit to result, ms</h3>
      <table class="cost">
        <thead>
          <tr>
            <th>M</th>
            <th>T(M)</th>
            <th>T(M) / T(1)</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${costs.map(
            ([m, ms]) =>
              html`<tr data-m=${m}>
                <td>${m}</td>
                <td data-ms=${ms}>${formatMs(ms)}</td>
                <td>${t1 ? (ms / t1).toFixed(2) : '—'}</td>
                <td class="bar"><i style="width:${worst > 0 ? (ms / worst) * 100 : 0}%"></i></td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="note">
        Flat T(M) (latency-bound, as on a GPU): drafting is nearly free. Rising T(M) (compute-bound, as on a CPU rasteriser): each draft
        costs verify time.
      </p>
    `;
  }

  private renderAdapter() {
    const r = this.report;
    if (!r)
      return html`<h3>Adapter</h3>
        <p class="note">No WebGPU device.</p>`;
    const info = r.adapterInfo;
    const mib = (bytes: number) => `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
    return html`
      <h3>Adapter</h3>
      <dl class="adapter">
        <dt>Description</dt>
        <dd>${info.description || '(not reported)'}</dd>
        <dt>Vendor / arch.</dt>
        <dd>${[info.vendor, info.architecture].filter(Boolean).join(' / ') || '(not reported)'}</dd>
        <dt>Fallback</dt>
        <dd>${info.isFallbackAdapter ? 'yes (software)' : 'no'}</dd>
        <dt>timestamp-query</dt>
        <dd data-feature="timestamp-query">${r.features.timestampQuery ? 'yes' : 'no'}</dd>
        <dt>shader-f16</dt>
        <dd>${r.features.shaderF16 ? 'yes' : 'no'}</dd>
        <dt>Max storage binding</dt>
        <dd>${mib(r.limits.maxStorageBufferBindingSize)}</dd>
        <dt>Workgroup memory</dt>
        <dd>${(r.limits.maxComputeWorkgroupStorageSize / 1024).toFixed(0)} KiB</dd>
        <dt>Invocations / workgroup</dt>
        <dd>${r.limits.maxComputeInvocationsPerWorkgroup}</dd>
        <dt>Workgroups / dimension</dt>
        <dd>${r.limits.maxComputeWorkgroupsPerDimension}</dd>
      </dl>
    `;
  }

  private profile = () => {
    this.dispatchEvent(new CustomEvent('profile-step', { bubbles: true, composed: true }));
  };

  private exportTrace = () => {
    const steps = this.profiler?.steps ?? [];
    if (steps.length === 0) return;
    const trace = profileTrace(steps, { adapter: this.adapter });
    const url = URL.createObjectURL(new Blob([JSON.stringify(trace)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `mtp-profile-${new Date().toISOString().replace(/[:.]/g, '-')}.trace.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'profiler-panel': ProfilerPanel;
  }
}
