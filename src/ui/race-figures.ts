// <race-figures>: the measured figures of the race: speedup, acceptance per draft position,
// mean tokens per step with the accepted-length histogram, and tokens/s over time.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { MetricsSnapshot } from '../decode/metrics.ts';
import { formatPercent, formatRatio } from './format.ts';
import './tps-chart.ts';

export const SIDE_COLORS = { baseline: '#8a93a3', mtp: '#2563eb' } as const;

@customElement('race-figures')
export class RaceFigures extends LitElement {
  @property({ attribute: false }) baseline?: MetricsSnapshot;
  @property({ attribute: false }) mtp?: MetricsSnapshot;
  @property({ attribute: false }) speedup: number | null = null;
  /** The MTP side's draft depth (for empty figures before a run). */
  @property({ type: Number }) depth = 2;
  /** The MTP side drafts a tree: acceptance at depth k counts the main model's token among that depth's candidates. */
  @property({ type: Boolean }) tree = false;

  static override styles = css`
    :host {
      display: grid;
      grid-template-columns: minmax(10rem, 0.8fr) minmax(13rem, 1fr) minmax(13rem, 1fr) minmax(18rem, 1.6fr);
      gap: 0.75rem;
    }
    @media (max-width: 980px) {
      :host {
        grid-template-columns: 1fr 1fr;
      }
    }
    section {
      min-width: 0;
      padding: 0.75rem 1rem;
      border: 1px solid var(--line, #d0d4dc);
      border-radius: 8px;
      background: var(--card, #fff);
    }
    h3 {
      margin: 0 0 0.2rem;
      color: #5b6270;
      font-size: 0.8rem;
      font-weight: 600;
      letter-spacing: 0.03em;
      text-transform: uppercase;
    }
    .big {
      margin: 0;
      font-size: 2rem;
      font-weight: 650;
      line-height: 1.15;
      font-variant-numeric: tabular-nums;
    }
    .speedup .big {
      font-size: 2.6rem;
      color: #2563eb;
    }
    .unit {
      font-size: 1.1rem;
      font-weight: 500;
      color: #5b6270;
    }
    .note {
      margin: 0.2rem 0 0;
      color: #5b6270;
      font-size: 0.8rem;
      line-height: 1.35;
    }
    .bars {
      display: grid;
      grid-template-columns: max-content 1fr max-content;
      align-items: center;
      gap: 0.25rem 0.5rem;
      margin-top: 0.5rem;
      font-size: 0.82rem;
      font-variant-numeric: tabular-nums;
    }
    .bar {
      height: 0.7rem;
      border-radius: 2px;
      background: #eceef2;
      overflow: hidden;
    }
    .bar i {
      display: block;
      height: 100%;
      background: #2563eb;
    }
    .bar i.d1 {
      background: #2f9e55;
    }
    .bar i.d2 {
      background: #7c4dde;
    }
    .bar i.d3 {
      background: #d97706;
    }
    .count {
      color: #5b6270;
      text-align: right;
    }
  `;

  protected override render() {
    const m = this.mtp;
    const depth = m?.depth ?? this.depth;
    const positions = m?.acceptance ?? Array.from({ length: depth }, (_, k) => ({ position: k + 1, accepted: 0, judged: 0, rate: null }));
    const histogram = m?.histogram ?? new Array(depth + 1).fill(0);
    const steps = Math.max(
      1,
      histogram.reduce((a, b) => a + b, 0),
    );
    return html`
      <section class="speedup">
        <h3>Speedup</h3>
        <p class="big"><span data-metric="speedup">${formatRatio(this.speedup)}</span><span class="unit">×</span></p>
        <p class="note">MTP tokens/s ÷ baseline tokens/s, both measured in this run, same prompt, same device.</p>
      </section>
      <section>
        <h3>Draft acceptance</h3>
        <p class="big"><span data-metric="acceptance">${formatPercent(m?.pooled.rate)}</span><span class="unit">%</span></p>
        <p class="note">
          ${
            this.tree
              ? html`${m ? `${m.pooled.accepted} of ${m.pooled.proposed} depths kept.` : 'Kept depths ÷ drafted depths.'} Per depth, of the
                steps that reached it: the main model's token was among that depth's candidates.`
              : html`${m ? `${m.pooled.accepted} of ${m.pooled.proposed} drafts accepted.` : 'Accepted drafts ÷ proposed drafts.'} Per
                position, of the drafts the main model judged:`
          }
        </p>
        <div class="bars">
          ${positions.map(
            (p) =>
              html`<span>${this.tree ? 'depth' : 'draft'} ${p.position}</span>
                <span class="bar"><i class="d${Math.min(p.position, 3)}" style="width:${(p.rate ?? 0) * 100}%"></i></span>
                <span class="count"
                  ><span data-metric="acceptance-${p.position}">${formatPercent(p.rate)}</span>% (${p.accepted}/${p.judged})</span
                >`,
          )}
        </div>
      </section>
      <section>
        <h3>Tokens per step</h3>
        <p class="big"><span data-metric="tokens-per-step">${m?.meanTokensPerStep ? m.meanTokensPerStep.toFixed(2) : '—'}</span></p>
        <p class="note">MTP, mean (baseline: 1). Steps by drafts accepted:</p>
        <div class="bars">
          ${histogram.map(
            (n, a) =>
              html`<span>${a} accepted</span>
                <span class="bar"><i style="width:${(n / steps) * 100}%"></i></span>
                <span class="count">${n} step${n === 1 ? '' : 's'}</span>`,
          )}
        </div>
      </section>
      <section>
        <h3>Tokens/s over decode time</h3>
        <tps-chart
          .series=${[
            { label: 'baseline', color: SIDE_COLORS.baseline, points: this.baseline?.series ?? [] },
            { label: `MTP, depth ${depth}`, color: SIDE_COLORS.mtp, points: m?.series ?? [] },
          ]}
        ></tps-chart>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'race-figures': RaceFigures;
  }
}
