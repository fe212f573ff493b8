// <race-view>: the whole demo page below the title: controls, notices, the two panes, the
// figures and the device. It renders a RaceView (plain data from src/app/race.ts) and fires
// `race-run` and `model-select` from its controls; it never touches an engine or the GPU.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ModelLoading, Notice, RaceView as RaceViewData } from '../app/race-types.ts';
import { DEFAULT_MODEL, modelEntry } from '../model/catalogue.ts';
import { formatBytes } from './format.ts';
import type { ControlsRequest } from './race-controls.ts';
import './adapter-report.ts';
import './profiler-panel.ts';
import './race-controls.ts';
import './race-figures.ts';
import './race-pane.ts';

const EMPTY: RaceViewData = {
  phase: 'loading',
  selectedModel: DEFAULT_MODEL,
  device: { state: 'loading' },
  deviceNotices: [],
  runNotices: [],
  speedup: null,
  profiler: { available: false, busy: false, steps: [] },
};

@customElement('race-view')
export class RaceView extends LitElement {
  @property({ attribute: false }) view: RaceViewData = EMPTY;
  /** Large type for projectors: the developer sections (device, profiler) are hidden. */
  @property({ type: Boolean, reflect: true }) large = false;
  /** Autoplay (kiosk) is on: the status line says the next prompt follows by itself. */
  @property({ type: Boolean, reflect: true }) autoplay = false;
  /** Fills in the controls (the kiosk's options, or the prompt autoplay runs). */
  @property({ attribute: false }) request?: ControlsRequest;

  static override styles = css`
    :host {
      display: grid;
      gap: 1rem;
    }
    .card {
      padding: 1rem 1.25rem;
      border: 1px solid var(--line, #d0d4dc);
      border-radius: 8px;
      background: var(--card, #fff);
    }
    .status {
      margin: 0;
      color: #5b6270;
      font-size: 0.9rem;
    }
    .status b {
      color: #1c1f26;
    }
    .status progress {
      width: 10rem;
      margin-left: 0.5rem;
      vertical-align: middle;
    }
    .notices {
      display: grid;
      gap: 0.4rem;
      margin: 0;
      padding: 0;
      list-style: none;
    }
    .notices li {
      padding: 0.45rem 0.8rem;
      border-left: 4px solid #2563eb;
      border-radius: 4px;
      background: #eef2ff;
      font-size: 0.92rem;
    }
    .notices li.warn {
      border-color: #d99a00;
      background: #fff8e1;
    }
    .notices li.error {
      border-color: #d9534f;
      background: #fdecea;
    }
    .panes {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 1rem;
    }
    @media (max-width: 760px) {
      .panes {
        grid-template-columns: 1fr;
      }
    }
    .device {
      display: grid;
      grid-template-columns: minmax(0, 44rem) minmax(12rem, 1fr);
      gap: 1rem;
      align-items: start;
    }
    .device h2 {
      margin: 0 0 0.4rem;
      font-size: 1rem;
    }
    .device p {
      margin: 0 0 0.5rem;
      color: #5b6270;
      font-size: 0.88rem;
    }
    adapter-report {
      font-size: 14px;
    }
    details.profiler > summary {
      cursor: pointer;
      font-weight: 600;
    }
    details.profiler[open] > summary {
      margin-bottom: 0.75rem;
    }
    details.profiler .hint {
      color: #5b6270;
      font-weight: 400;
      font-size: 0.88rem;
    }
    @media (max-width: 760px) {
      .device {
        grid-template-columns: 1fr;
      }
    }
    :host([large]) .device,
    :host([large]) details.profiler {
      display: none;
    }
    :host([large]) .status {
      font-size: 1rem;
    }
  `;

  /** Resolves once this element and the components inside it have rendered. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    const children = [
      ...this.renderRoot.querySelectorAll('race-controls, race-pane, race-figures, adapter-report, profiler-panel'),
    ] as LitElement[];
    await Promise.all(children.map((c) => c.updateComplete));
    // race-figures renders tps-chart inside it.
    await Promise.all(children.map((c) => c.renderRoot.querySelector<LitElement>('tps-chart')?.updateComplete));
    return done;
  }

  protected override render() {
    const v = this.view;
    const depth = v.depth ?? v.model?.mtpDepth ?? 2;
    const running = v.phase === 'running';
    const notices: Notice[] = [...v.deviceNotices, ...v.runNotices];
    const engine = v.backend?.label ?? '';
    const code = modelEntry(v.selectedModel)?.domain === 'code';
    return html`
      <section class="card">
        <race-controls
          .request=${this.request}
          .model=${v.selectedModel}
          .mtpDepth=${v.model?.mtpDepth ?? 2}
          .maxTokensCap=${(v.model?.maxSeqLen ?? 256) - (v.model?.mtpDepth ?? 2)}
          ?disabled=${v.phase === 'loading'}
          ?running=${running}
        ></race-controls>
      </section>
      <p class="status" role="status">${this.statusLine()}</p>
      ${
        notices.length
          ? html`<ul class="notices">
              ${notices.map((n) => html`<li class=${n.level}>${n.text}</li>`)}
            </ul>`
          : nothing
      }
      <div class="panes">
        <race-pane
          side="baseline"
          heading="Baseline"
          subtitle="Plain decoding: one token a step"
          .engine=${engine}
          .view=${v.baseline}
          .prompt=${v.prompt?.text ?? ''}
          ?promptCut=${v.prompt?.cut ?? false}
          ?running=${running}
          ?code=${code}
          .slowMotion=${v.pace?.factor}
        ></race-pane>
        <race-pane
          side="mtp"
          heading="MTP speculative decoding"
          subtitle=${
            v.tree
              ? `a draft tree a step (${v.tree.rows} rows; candidates per depth ${v.tree.shape}), verified by the main model in one pass`
              : `${depth} draft${depth === 1 ? '' : 's'} a step, verified by the main model in one pass`
          }
          .engine=${engine}
          .view=${v.mtp}
          .prompt=${v.prompt?.text ?? ''}
          ?promptCut=${v.prompt?.cut ?? false}
          ?running=${running}
          ?code=${code}
          .depth=${depth}
          .slowMotion=${v.pace?.factor}
        ></race-pane>
      </div>
      <race-figures
        .baseline=${v.baseline?.metrics}
        .mtp=${v.mtp?.metrics}
        .speedup=${v.speedup}
        .depth=${depth}
        ?tree=${v.tree !== undefined}
      ></race-figures>
      <section class="device" data-section="developer">
        <adapter-report .state=${v.device.state} .report=${v.device.report} .failure=${v.device.failure}></adapter-report>
        <div>
          <h2>How the race is measured</h2>
          <p>
            Both sides run on
            ${v.backend?.kind === 'cpu' ? 'the CPU reference engine' : engine ? `one device (${engine})` : 'the same engine'}, one step at a
            time: the next step always goes to the side that has used less step time, so the race you see is the measured one.
          </p>
          <p>Figures count decode steps only (prefill apart); stepping pauses while the tab is hidden.</p>
          <p data-no-repeat>${noRepeatLine(v.model?.noRepeatNgram)}</p>
          <p>
            Models are kept in this browser after their first download, checked against their SHA-256 at every load.
            <button type="button" data-action="forget-models" @click=${this.forgetModels}>Forget downloaded models</button>
          </p>
        </div>
      </section>
      <details class="card profiler" data-section="developer">
        <summary>Profiler <span class="hint">· per-kernel GPU time of one MTP step, the cost curve T(M), a Chrome trace</span></summary>
        <profiler-panel .profiler=${v.profiler} .report=${v.device.report} .adapter=${engine}></profiler-panel>
      </details>
    `;
  }

  private forgetModels = (): void => {
    this.dispatchEvent(new CustomEvent('forget-models', { bubbles: true, composed: true }));
  };

  private statusLine() {
    const v = this.view;
    const line = this.phaseLine();
    if (!this.autoplay) return line;
    if (v.phase === 'done') return html`${line} Autoplay: the next prompt follows in a moment.`;
    if (v.phase === 'error') return html`${line} Autoplay carries on in a moment.`;
    return line;
  }

  private phaseLine() {
    const v = this.view;
    const model = v.model
      ? html`Model <b>${v.model.name}</b>${v.model.fromCache ? html` <span data-from-cache>(from cache)</span>` : nothing} · `
      : nothing;
    switch (v.phase) {
      case 'loading':
        return v.loading && !v.model ? loadingLine(v.loading) : html`${model}Building the engines…`;
      case 'idle':
        return html`${model}Ready on <b>${v.backend?.label}</b>. Pick or type a prompt and press Run.`;
      case 'running':
        return v.temperature
          ? html`${model}Racing: sampling at temperature ${v.temperature} (seed ${v.seed}); the texts differ, their distribution is the
            same.`
          : html`${model}Racing: greedy decoding, both sides must produce the same text.`;
      case 'done': {
        const r = v.result;
        if (!r) return html`${model}Done.`;
        if (r.temperature > 0)
          return html`${model}Done. Sampled at temperature ${r.temperature}, seed ${r.seed}: two draws from the same distribution
          (speculative sampling is exact), so the texts differ.`;
        const same = r.baseline.text === r.mtp.text;
        return html`${model}Done.
        ${same ? 'Both texts are identical, as greedy speculative decoding promises.' : html`<b>The texts differ.</b>`}`;
      }
      case 'error':
        return html`${model}Something went wrong (see below).`;
    }
  }
}

/** While the weights arrive: the model and the bytes so far (of how many, when the server said). */
function loadingLine(l: ModelLoading) {
  const known = l.total !== undefined && l.total > 0;
  const amount = known ? `${formatBytes(l.received)} of ${formatBytes(l.total!)}` : `${formatBytes(l.received)} so far`;
  return html`Loading <b>${l.title}</b> (${l.name}): <span data-loaded>${amount}</span>${
      known ? html`<progress data-progress max=${l.total!} .value=${l.received}></progress>` : html`<progress data-progress></progress>`
    }`;
}

/** What the rule does for this model (its card's no_repeat_ngram; 0: off). */
function noRepeatLine(n: number | undefined) {
  if (n === undefined) return "Greedy decoding follows the model card's no-repeat rule, on both sides alike.";
  if (n === 0)
    return "No-repeat rule: off for this model; greedy decoding takes the main model's top token on both sides, so the texts stay identical.";
  return `Greedy decoding never repeats a ${n}-gram (this model's no-repeat rule): both sides skip such a token by the same rule, so the texts stay identical and free of loops.`;
}

declare global {
  interface HTMLElementTagNameMap {
    'race-view': RaceView;
  }
}
