// <race-controls>: the model picker, the prompt box, the model's preset prompts, draft depth, max
// tokens, temperature and the Run button. Fires `race-run` (detail: RunRequest) on Run or on Enter
// in the prompt box (Shift+Enter: a new line); the picker's `model-select` bubbles through.
// Choosing a model puts its first preset in the prompt box and the depth back to the model's D.
// For a code model the prompt box is monospace and keeps whitespace, as the panes do.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { MAX_TEMPERATURE, RUN_OPTIONS } from '../decode/run-options.ts';
import { MODELS, type ModelEntry } from '../model/catalogue.ts';
import type { Pace } from '../app/race-types.ts';
import { PACE_FACTORS, paceText, parsePace } from '../app/replay.ts';
import { fieldStyles } from './field-styles.ts';
import './model-picker.ts';
import type { ModelSelectDetail } from './model-picker.ts';

/** The fewest new tokens a run asks for (the run options' limit: one step after the prefill's token). */
const MIN_TOKENS = RUN_OPTIONS.tokens.min;

/** Max tokens until the visitor or the address sets another. */
export const DEFAULT_MAX_TOKENS = 64;

export interface RunDetail {
  text: string;
  depth: number;
  /** Verify rows of a draft tree (root included); 0: the chain. */
  tree: number;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  /** How the page shows the race: slow motion (a fixed factor, or Auto's), or live. */
  pace: Pace;
}

/** The draft-tree budgets offered (verify rows a step, root included); 0: the chain. */
const TREE_CHOICES = [0, 4, 8, 12, 16] as const;

/** The temperature slider's range (0 = greedy; the top is run-options.ts' MAX_TEMPERATURE, as runs clamp it). */
const TEMPERATURE = { max: MAX_TEMPERATURE, step: 0.1 } as const;

/** What fills in the controls: depth absent means the model's D. */
export interface ControlsRequest {
  text: string;
  depth?: number;
  /** Draft tree rows; absent or 0: the chain. */
  tree?: number;
  maxTokens: number;
  temperature?: number;
  pace?: Pace;
}

@customElement('race-controls')
export class RaceControls extends LitElement {
  /** The models the picker offers (their presets and domain too). */
  @property({ attribute: false }) models: readonly ModelEntry[] = MODELS;
  /** The chosen model's name. */
  @property() model = MODELS[0].name;
  /** Deepest draft the model has (its number of MTP modules), and the default depth. */
  @property({ type: Number }) mtpDepth = 2;
  /** Most new tokens a run may ask for. */
  @property({ type: Number }) maxTokensCap = 200;
  /** No Run while the engines load. */
  @property({ type: Boolean }) disabled = false;
  @property({ type: Boolean }) running = false;
  /** Fills in the prompt, depth, max tokens (and temperature) when set (a new object each time). */
  @property({ attribute: false }) request?: ControlsRequest;
  /** The chosen model is a code model (set from its domain; reflected for the styles). */
  @property({ type: Boolean, reflect: true }) code = false;

  /** Undefined until typed or set: the chosen model's first preset. */
  @state() private text?: string;
  /** Undefined until chosen: the model's D. Kept as chosen (the select shows it lowered to mtpDepth). */
  @state() private depth?: number;
  @state() private maxTokens = DEFAULT_MAX_TOKENS;
  /** Said under the controls when the max tokens field held no usable number. */
  @state() private fieldNote?: string;
  @state() private temperature = 0;
  @state() private tree = 0;
  @state() private pace: Pace = { kind: 'auto' };

  static override styles = [
    fieldStyles,
    css`
      :host {
        display: block;
      }
      .prompt {
        display: block;
        width: 100%;
        box-sizing: border-box;
        min-height: 4.2rem;
        padding: 0.6rem 0.75rem;
        border: 1px solid var(--line, #d0d4dc);
        border-radius: 6px;
        font: inherit;
        font-size: 1rem;
        line-height: 1.45;
        resize: vertical;
      }
      :host([code]) .prompt {
        min-height: 7.5rem;
        font-family: ui-monospace, 'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace;
        font-size: 0.92rem;
        white-space: pre-wrap;
        tab-size: 4;
      }
      model-picker {
        margin-bottom: 0.6rem;
      }
      .prompt:focus-visible,
      select:focus-visible,
      input:focus-visible,
      button:focus-visible {
        outline: 2px solid #2563eb;
        outline-offset: 1px;
      }
      .presets {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.4rem;
        margin: 0.55rem 0 0.8rem;
        color: #5b6270;
        font-size: 0.9rem;
      }
      .presets button {
        padding: 0.15rem 0.7rem;
        border: 1px solid var(--line, #d0d4dc);
        border-radius: 999px;
        background: #fff;
        color: #1c1f26;
        font: inherit;
        cursor: pointer;
      }
      .presets button:hover {
        background: #eef2ff;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        align-items: end;
        gap: 0.75rem 1.5rem;
      }
      label {
        display: grid;
        gap: 0.2rem;
        color: #5b6270;
        font-size: 0.85rem;
      }
      input[type='number'] {
        width: 5.5rem;
      }
      .sampling span {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        color: #1c1f26;
        font-variant-numeric: tabular-nums;
      }
      .run {
        margin-left: auto;
        padding: 0.5rem 1.6rem;
        border: 0;
        border-radius: 6px;
        background: #2563eb;
        color: #fff;
        font: inherit;
        font-weight: 600;
        cursor: pointer;
      }
      .run:hover {
        background: #1d4ed8;
      }
      .run[disabled] {
        background: #9ca3af;
        cursor: progress;
      }
      .hint.field-note {
        color: #9a3412;
      }
      .hint {
        color: #5b6270;
        font-size: 0.8rem;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('request') && this.request) {
      this.text = this.request.text;
      this.depth = this.request.depth;
      this.maxTokens = this.request.maxTokens;
      this.temperature = this.request.temperature ?? 0;
      this.tree = this.request.tree ?? 0;
      this.pace = this.request.pace ?? { kind: 'auto' };
    }
    this.code = this.models.find((m) => m.name === this.model)?.domain === 'code';
  }

  /** The chosen model's presets. */
  private get presets(): ModelEntry['presets'] {
    return this.models.find((m) => m.name === this.model)?.presets ?? [];
  }

  /** What Run sends: the choices, lowered to what the model allows (not stored: a model loading has no D yet). */
  private get effective(): { text: string; depth: number; maxTokens: number } {
    return {
      text: this.text ?? this.presets[0]?.text ?? '',
      depth: Math.max(1, Math.min(this.depth ?? this.mtpDepth, this.mtpDepth)),
      maxTokens: Math.max(MIN_TOKENS, Math.min(this.maxTokens, this.maxTokensCap)),
    };
  }

  protected override render() {
    const depths = Array.from({ length: Math.max(1, this.mtpDepth) }, (_, i) => i + 1);
    const now = this.effective;
    return html`
      <model-picker .models=${this.models} .selected=${this.model} @model-select=${this.onModel}></model-picker>
      <textarea
        class="prompt"
        aria-label="Prompt"
        spellcheck=${this.code ? 'false' : 'true'}
        placeholder="Type the start of a text (empty: the model starts a new document)"
        .value=${now.text}
        @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)}
        @keydown=${this.onKey}
      ></textarea>
      <div class="presets">
        Try:
        ${this.presets.map((p) => html`<button type="button" title=${p.text} @click=${() => this.usePreset(p.text)}>${p.label}</button>`)}
      </div>
      <div class="row">
        <label>
          Draft depth (MTP modules)
          <select
            aria-label="Draft depth"
            .value=${String(now.depth)}
            @change=${(e: Event) => (this.depth = Number((e.target as HTMLSelectElement).value))}
          >
            ${depths.map((d) => html`<option value=${d} ?selected=${d === now.depth}>${d}</option>`)}
          </select>
        </label>
        <label title="Several candidates a depth, verified in one pass: the main model keeps the branch that matches it. Greedy runs only.">
          Draft tree
          <select
            aria-label="Draft tree"
            .value=${String(this.tree)}
            ?disabled=${this.temperature > 0}
            @change=${(e: Event) => (this.tree = Number((e.target as HTMLSelectElement).value))}
          >
            ${TREE_CHOICES.map((rows) => html`<option value=${rows} ?selected=${rows === this.tree}>${rows ? `${rows} rows a step` : 'chain (1 a depth)'}</option>`)}
          </select>
        </label>
        <label>
          Max tokens
          <input
            type="number"
            aria-label="Max tokens"
            min=${MIN_TOKENS}
            max=${this.maxTokensCap}
            .value=${String(now.maxTokens)}
            @change=${this.onMaxTokens}
          />
        </label>
        <label
          class="sampling"
          title="0: greedy, both texts identical. Above 0: both sides sample (speculative sampling keeps the distribution exact), so the texts differ."
        >
          Temperature
          <span
            ><input
              type="range"
              aria-label="Temperature"
              min="0"
              max=${TEMPERATURE.max}
              step=${TEMPERATURE.step}
              .value=${String(this.temperature)}
              @input=${(e: Event) => (this.temperature = Number((e.target as HTMLInputElement).value) || 0)}
            />
            <output data-temperature>${this.temperature === 0 ? '0 · greedy' : `${this.temperature.toFixed(1)} · sampling`}</output></span
          >
        </label>
        <label
          title="The race always runs at full speed; slow motion shows its tokens at their measured times x a factor. Auto: slow motion when a race would be over in under 4 s."
        >
          Pace
          <select
            aria-label="Pace"
            .value=${paceText(this.pace)}
            @change=${(e: Event) => (this.pace = parsePace((e.target as HTMLSelectElement).value) ?? { kind: 'auto' })}
          >
            ${['auto', 'live', ...PACE_FACTORS.map(String)].map(
              (p) =>
                html`<option value=${p} ?selected=${p === paceText(this.pace)}>
                  ${p === 'auto' ? 'auto (slow motion when quick)' : p === 'live' ? 'live' : `slow motion ×${p}`}
                </option>`,
            )}
          </select>
        </label>
        <button class="run" data-action="run" ?disabled=${this.disabled} @click=${this.fire}>Run</button>
      </div>
      ${this.fieldNote ? html`<p class="hint field-note" role="status">${this.fieldNote}</p>` : nothing}
      <p class="hint">
        ${this.running ? 'Running: Run again restarts with the current prompt.' : 'Enter runs, Shift+Enter starts a new line.'}
      </p>
    `;
  }

  private onModel = (e: CustomEvent<ModelSelectDetail>): void => {
    // The event goes on up to the page, which loads the model; the prompt and depth follow it now.
    this.text = this.models.find((m) => m.name === e.detail.name)?.presets[0]?.text ?? '';
    this.depth = undefined;
  };

  private usePreset(text: string): void {
    this.text = text;
    this.renderRoot.querySelector<HTMLTextAreaElement>('.prompt')?.focus();
  }

  /** An empty field, text or a number too large to be one (1e400) restores the default, saying so. */
  private onMaxTokens = (e: Event): void => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v)) {
      this.maxTokens = DEFAULT_MAX_TOKENS;
      this.fieldNote = `Max tokens must be a number from ${MIN_TOKENS} to ${this.maxTokensCap}: back to ${Math.min(DEFAULT_MAX_TOKENS, this.maxTokensCap)}.`;
    } else {
      this.maxTokens = Math.max(MIN_TOKENS, Math.round(v));
      this.fieldNote =
        this.maxTokens > this.maxTokensCap ? `Max tokens lowered to ${this.maxTokensCap}: the context allows no more.` : undefined;
    }
    input.value = String(this.effective.maxTokens);
  };

  private onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.fire();
    }
  };

  private fire = (): void => {
    if (this.disabled) return;
    const detail: RunDetail = {
      ...this.effective,
      temperature: this.temperature,
      tree: this.temperature > 0 ? 0 : this.tree,
      pace: this.pace,
    };
    this.dispatchEvent(new CustomEvent<RunDetail>('race-run', { detail, bubbles: true, composed: true }));
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'race-controls': RaceControls;
  }
}
