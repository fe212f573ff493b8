// <race-pane>: one side of the race, its text growing as it decodes and its tokens/s.
// In the MTP pane, tokens that were drafted and accepted are marked by draft position, and the
// drafts a step threw away flash struck-through at the end of the text for a moment. A tree run's
// pane also shows its last step's tree: each depth's candidates, the ones the main model chose
// among, the one it kept, and what a chain (each depth's best only) would have kept.
// Text is always rendered as text (Lit escapes it), never as HTML. A code model's text is set in
// a monospace font with its whitespace kept (indentation is part of Python's syntax).
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import type { Segment, SideView, TreePicture } from '../app/race-types.ts';
import { formatMs, formatRate } from './format.ts';

const STOP_LABELS: Record<string, string> = {
  'max-tokens': 'max tokens reached',
  'end-of-text': 'end of document',
  'context-full': 'context full',
  aborted: 'cancelled',
};

/** Longest prompt tail shown above the generated text. */
const PROMPT_TAIL = 160;

@customElement('race-pane')
export class RacePane extends LitElement {
  @property({ reflect: true }) side: 'baseline' | 'mtp' = 'baseline';
  @property() heading = '';
  @property() subtitle = '';
  /** What it runs on ("WebGPU · …" or "CPU reference engine"). */
  @property() engine = '';
  @property({ attribute: false }) view?: SideView;
  /** The prompt as the model sees it. */
  @property() prompt = '';
  @property({ type: Boolean }) promptCut = false;
  @property({ type: Boolean }) running = false;
  /** The slow-motion factor the text is shown at (absent or 1: live), said beside the measured time. */
  @property({ type: Number }) slowMotion?: number;
  /** Code: monospace, tabs of 4. */
  @property({ type: Boolean, reflect: true }) code = false;
  /** The MTP side's draft depth (the legend lists its positions). */
  @property({ type: Number }) depth = 2;

  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      min-width: 0;
      border: 1px solid var(--line, #d0d4dc);
      border-top: 4px solid var(--side-color, #8a93a3);
      border-radius: 8px;
      background: var(--card, #fff);
    }
    :host([side='mtp']) {
      --side-color: #2563eb;
    }
    header {
      display: flex;
      justify-content: space-between;
      align-items: start;
      gap: 1rem;
      padding: 0.75rem 1rem 0.5rem;
      border-bottom: 1px solid #eceef2;
    }
    h2 {
      margin: 0;
      font-size: 1.1rem;
    }
    .sub {
      margin: 0.1rem 0 0;
      color: #5b6270;
      font-size: 0.85rem;
    }
    .engine {
      display: inline-block;
      margin-top: 0.25rem;
      padding: 0 0.45rem;
      border-radius: 4px;
      background: #eceef2;
      color: #3b4250;
      font-size: 0.78rem;
    }
    .engine.cpu {
      background: #fff4d6;
      color: #7a5200;
    }
    .slow {
      display: inline-block;
      margin: 0.25rem 0 0 0.35rem;
      padding: 0 0.45rem;
      border-radius: 4px;
      background: #e8f0fe;
      color: #1d4ed8;
      font-size: 0.78rem;
    }
    .rate {
      text-align: right;
      white-space: nowrap;
    }
    .rate .num {
      display: block;
      font-size: 1.9rem;
      font-weight: 650;
      line-height: 1.1;
      font-variant-numeric: tabular-nums;
      color: var(--side-color, #8a93a3);
    }
    .rate .unit {
      color: #5b6270;
      font-size: 0.8rem;
    }
    .text {
      flex: 1;
      margin: 0;
      padding: 0.8rem 1rem;
      min-height: 9rem;
      font:
        1rem/1.65 Georgia,
        'Iowan Old Style',
        'Times New Roman',
        serif;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    :host([code]) .text {
      font:
        0.9rem/1.5 ui-monospace,
        'DejaVu Sans Mono',
        'Menlo',
        'Consolas',
        monospace;
      tab-size: 4;
    }
    .prompt {
      color: #8a93a3;
    }
    .d1 {
      background: #d7f5df;
      box-shadow: inset 0 -2px 0 #2f9e55;
    }
    .d2 {
      background: #e6dcff;
      box-shadow: inset 0 -2px 0 #7c4dde;
    }
    .d3 {
      background: #ffe8c7;
      box-shadow: inset 0 -2px 0 #d97706;
    }
    /* Shown for 600 ms, then hidden in one step: a smooth fade repaints every frame, and during a
       race (a flash most steps) that competes with the decode itself for the machine. */
    .rejected {
      color: #c62828;
      text-decoration: line-through;
      animation: flash 600ms steps(1, end) forwards;
    }
    @keyframes flash {
      to {
        visibility: hidden;
      }
    }
    .cursor {
      display: inline-block;
      width: 0.5ch;
      height: 1.1em;
      vertical-align: text-bottom;
      background: var(--side-color, #8a93a3);
      opacity: 0.5;
    }
    footer {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 1rem;
      padding: 0.5rem 1rem 0.7rem;
      border-top: 1px solid #eceef2;
      color: #5b6270;
      font-size: 0.82rem;
      font-variant-numeric: tabular-nums;
    }
    footer b {
      color: #1c1f26;
      font-weight: 600;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 1rem;
      width: 100%;
      margin-top: 0.25rem;
    }
    .legend span {
      white-space: nowrap;
    }
    .swatch {
      padding: 0 0.3rem;
      border-radius: 2px;
      color: #1c1f26;
    }
    .rejected-mark {
      color: #c62828;
    }
    .tree {
      margin: 0;
      padding: 0.5rem 1rem 0.6rem;
      border-top: 1px solid #eceef2;
      font-size: 0.82rem;
      color: #5b6270;
    }
    .tree ol {
      display: grid;
      gap: 0.2rem;
      margin: 0.3rem 0;
      padding: 0;
      list-style: none;
    }
    .tree li {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0.25rem;
    }
    .cand {
      padding: 0 0.3rem;
      border: 1px solid #d0d4dc;
      border-radius: 3px;
      font:
        0.8rem/1.4 ui-monospace,
        'DejaVu Sans Mono',
        'Menlo',
        'Consolas',
        monospace;
      white-space: pre;
      color: #8a93a3;
    }
    .cand.offered {
      color: #1c1f26;
      border-color: #8a93a3;
    }
    .cand.kept {
      background: #d7f5df;
      border-color: #2f9e55;
      color: #1c1f26;
      font-weight: 600;
    }
  `;

  protected override render() {
    const v = this.view;
    const m = v?.metrics;
    const rateMetric = this.side === 'mtp' ? 'mtp-tps' : 'baseline-tps';
    const tail = this.prompt.length > PROMPT_TAIL ? this.prompt.slice(-PROMPT_TAIL) : this.prompt;
    const elided = this.promptCut || tail.length < this.prompt.length;
    return html`
      <header>
        <div>
          <h2>${this.heading}</h2>
          <p class="sub">${this.subtitle}</p>
          ${this.engine ? html`<span class="engine ${this.engine.startsWith('CPU') ? 'cpu' : ''}" data-engine>${this.engine}</span>` : nothing}
          ${
            this.slowMotion && this.slowMotion > 1
              ? html`<span
                  class="slow"
                  data-slow-motion=${this.slowMotion}
                  title="The race ran at full speed; its tokens are shown at their measured times x ${this.slowMotion}."
                  >slow motion ×${this.slowMotion} · measured ${formatSeconds(m?.decodeMs)} s</span
                >`
              : nothing
          }
        </div>
        <div class="rate">
          <span class="num" data-metric=${rateMetric}>${formatRate(m?.tokensPerSecond)}</span>
          <span class="unit">tokens/s</span>
        </div>
      </header>
      <p class="text">
        <span class="prompt">${elided ? '…' : ''}${tail}</span
        ><span data-output=${this.side}>${v?.segments.map(renderSegment)}</span
        >${v?.rejected ? keyed(v.rejected.id, html`<s class="rejected" aria-hidden="true">${v.rejected.text}</s>`) : nothing}${this.running && !v?.stop ? html`<span class="cursor"></span>` : nothing}
      </p>
      ${v?.tree ? renderTree(v.tree) : nothing}
      <footer>
        <span><b>${m ? m.tokens + m.prefillTokens : 0}</b> tokens</span>
        <span><b>${m?.steps ?? 0}</b> steps</span>
        <span><b>${formatMs(m?.msPerStep)}</b> ms/step</span>
        <span>prefill <b>${formatMs(m?.prefillMs || null)}</b> ms</span>
        ${v?.stop ? html`<span>${STOP_LABELS[v.stop] ?? v.stop}</span>` : nothing}
        ${
          this.side === 'mtp'
            ? html`<div class="legend">
                ${Array.from(
                  { length: Math.min(Math.max(1, this.depth), DRAFT_CLASSES) },
                  (_, i) => html`<span><span class="swatch d${i + 1}">draft ${i + 1}</span> accepted ${ORDINALS[i]} draft</span>`,
                )}
                <span><s class="swatch rejected-mark">draft</s> rejected (shown briefly)</span>
                <span>plain: the main model's own token</span>
              </div>`
            : nothing
        }
      </footer>
    `;
  }
}

/** A candidate's text made visible: spaces as middle dots, newlines and tabs as arrows. */
const visible = (text: string) => text.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '→') || '∅';

/** The last tree step: per depth its candidates; the kept one green, the ones the main model chose among outlined. */
function renderTree(t: TreePicture) {
  const why =
    t.kept > t.chainKept
      ? `a chain (each depth's best candidate only) would have kept ${t.chainKept}: the tree's other candidates won ${t.kept - t.chainKept} more`
      : `a chain would have kept as many`;
  return html`<div class="tree" data-tree>
    Last step's draft tree: kept <b data-tree-kept>${t.kept}</b> of ${t.depths.length} depths; ${why}.
    <ol>
      ${t.depths.map(
        (cands, d) =>
          html`<li>
            depth ${d + 1}:
            ${cands.map((c) => html`<span class="cand ${c.kept ? 'kept' : c.offered ? 'offered' : ''}" title=${`candidate ${c.rank + 1} of its drafter`}>${visible(c.text)}</span>`)}
          </li>`,
      )}
    </ol>
    Outlined: the candidates the main model chose among (their parent was kept); green: the one it kept.
  </div>`;
}

/** Draft positions with a colour of their own (deeper ones share the last). */
const DRAFT_CLASSES = 3;
const ORDINALS = ['first', 'second', 'third'];

/** An accepted-draft run is marked without its leading and trailing white space. */
function renderSegment(s: Segment) {
  if (!s.draft) return s.text;
  const [, lead, body, trail] = /^(\s*)([\s\S]*?)(\s*)$/.exec(s.text)!;
  return body ? html`${lead}<span class="d${Math.min(s.draft, DRAFT_CLASSES)}">${body}</span>${trail}` : s.text;
}

declare global {
  interface HTMLElementTagNameMap {
    'race-pane': RacePane;
  }
}

/** Measured decode time in seconds, as the slow-motion badge says it. */
function formatSeconds(ms: number | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(ms !== undefined && ms < 10_000 ? 2 : 1);
}
