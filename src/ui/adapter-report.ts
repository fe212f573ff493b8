// <adapter-report>: which WebGPU adapter the page got, or why it got none and what to do about it.
// Plain data in (see src/gpu/device.ts for the types); no GPU calls here.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { DeviceLimits, DeviceReport, WebGPUAdvice } from '../gpu/device.ts';

/** 'skipped': no device was asked for (the model did not load). */
export type ReportState = 'loading' | 'done' | 'error' | 'skipped';

/** Why there is no device, as shown to the visitor. */
export interface AdapterFailure {
  /** A short code ('no-webgpu', 'no-adapter', 'limits', 'device', 'lost', ...). */
  reason: string;
  message: string;
  advice?: WebGPUAdvice;
}

const LIMIT_LABELS: [keyof DeviceLimits, string, 'bytes' | 'count'][] = [
  ['maxStorageBufferBindingSize', 'Max storage binding', 'bytes'],
  ['maxBufferSize', 'Max buffer', 'bytes'],
  ['maxComputeWorkgroupStorageSize', 'Workgroup memory', 'bytes'],
  ['maxComputeInvocationsPerWorkgroup', 'Invocations / workgroup', 'count'],
  ['maxStorageBuffersPerShaderStage', 'Storage buffers / stage', 'count'],
];

const FEATURE_LABELS: [keyof DeviceReport['features'], string][] = [
  ['timestampQuery', 'timestamp-query'],
  ['shaderF16', 'shader-f16'],
  ['subgroups', 'subgroups'],
];

@customElement('adapter-report')
export class AdapterReport extends LitElement {
  @property({ reflect: true }) state: ReportState = 'loading';
  @property({ attribute: false }) report?: DeviceReport;
  @property({ attribute: false }) failure?: AdapterFailure;
  /** The adapter's description (or, where that is empty, vendor and architecture) once found; absent otherwise. */
  @property({ attribute: 'data-adapter', reflect: true }) adapterName?: string;

  static override styles = css`
    :host {
      display: block;
      max-width: 44rem;
      padding: 1rem 1.25rem;
      border: 1px solid var(--line, #d0d4dc);
      border-radius: 8px;
      background: var(--card, #fff);
      font:
        15px/1.5 system-ui,
        sans-serif;
    }
    :host([state='error']) {
      border-color: #d9534f;
    }
    h2 {
      margin: 0 0 0.5rem;
      font-size: 1.1rem;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.2rem 1rem;
      margin: 0.5rem 0;
    }
    dt {
      color: #5b6270;
    }
    dd {
      margin: 0;
      font-variant-numeric: tabular-nums;
      overflow-wrap: anywhere;
    }
    .features {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem;
      padding: 0;
      margin: 0;
      list-style: none;
    }
    .features li {
      padding: 0 0.5rem;
      border-radius: 999px;
      font-size: 0.85rem;
      background: #eceef2;
      color: #6b7280;
    }
    .features li.on {
      background: #dff3e4;
      color: #1d6b35;
    }
    .note {
      margin: 0.5rem 0 0;
      color: #8a5a00;
    }
    .reason {
      font-family: ui-monospace, monospace;
      font-size: 0.85rem;
      color: #5b6270;
    }
    code {
      font-family: ui-monospace, monospace;
      font-size: 0.85em;
      white-space: nowrap;
      padding: 0 0.2em;
      border-radius: 3px;
      background: #eceef2;
    }
    ul.advice {
      margin: 0.5rem 0 0;
      padding-left: 1.2rem;
    }
  `;

  protected override willUpdate(): void {
    this.adapterName = this.state === 'done' && this.report ? this.report.name : undefined;
  }

  protected override render() {
    switch (this.state) {
      case 'loading':
        return html`<h2>Looking for a WebGPU adapter…</h2>`;
      case 'error':
        return this.renderFailure();
      case 'skipped':
        return html`<h2>No WebGPU device yet</h2>
          <p>The page asks for one once the model has loaded, and the model did not load (see the message above).</p>`;
      case 'done':
        return this.report ? this.renderReport(this.report) : nothing;
    }
  }

  private renderReport({ adapterInfo: info, features, limits }: DeviceReport) {
    const software = info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${info.description} ${info.architecture}`);
    return html`
      <h2>WebGPU adapter: ${this.adapterName}</h2>
      <dl>
        <dt>Description</dt>
        <dd>${info.description || '(not reported)'}</dd>
        <dt>Vendor</dt>
        <dd>${info.vendor || '(not reported)'}</dd>
        <dt>Architecture</dt>
        <dd>${info.architecture || '(not reported)'}</dd>
        <dt>Features</dt>
        <dd>
          <ul class="features">
            ${FEATURE_LABELS.map(([key, label]) => html`<li class=${features[key] ? 'on' : ''} title=${features[key] ? 'available' : 'not available'}>${label}</li>`)}
          </ul>
        </dd>
        ${LIMIT_LABELS.map(
          ([key, label, unit]) =>
            html`<dt>${label}</dt>
              <dd>${formatLimit(limits[key], unit)}</dd>`,
        )}
      </dl>
      ${software ? html`<p class="note">This is a software (CPU) adapter: everything works, but slowly.</p>` : nothing}
    `;
  }

  private renderFailure() {
    const failure = this.failure;
    return html`
      <h2>WebGPU is not available</h2>
      ${
        failure
          ? html`
              <p>${failure.message} <span class="reason">(${failure.reason})</span></p>
              ${
                failure.advice?.lines.length
                  ? html`<ul class="advice">
                      ${failure.advice.lines.map((line) => html`<li>${withCode(line)}</li>`)}
                    </ul>`
                  : nothing
              }
            `
          : nothing
      }
    `;
  }
}

/** Command-line flags and chrome:// addresses in advice, set as unbreakable code. */
function withCode(line: string) {
  return line.split(/(--[a-z0-9-]+(?:=[A-Za-z0-9,]+)?|chrome:\/\/[\w/#-]+)/).map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));
}

function formatLimit(value: number, unit: 'bytes' | 'count'): string {
  if (unit === 'count') return value.toLocaleString('en');
  if (value >= 2 ** 30) return `${+(value / 2 ** 30).toFixed(1)} GiB`;
  if (value >= 2 ** 20) return `${+(value / 2 ** 20).toFixed(1)} MiB`;
  if (value >= 2 ** 10) return `${+(value / 2 ** 10).toFixed(1)} KiB`;
  return `${value} B`;
}

declare global {
  interface HTMLElementTagNameMap {
    'adapter-report': AdapterReport;
  }
}
