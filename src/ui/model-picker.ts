// <model-picker>: the shipped models (src/model/catalogue.ts), in the catalogue's order, the chosen
// one selected. Choosing another fires `model-select` (detail: ModelSelectDetail); the page loads
// that model. It only offers names: what a model is and how it loads is src/app's business.
import { LitElement, css, html, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { fieldStyles } from './field-styles.ts';
import { MODELS } from '../model/catalogue.ts';

export interface ModelSelectDetail {
  name: string;
}

@customElement('model-picker')
export class ModelPicker extends LitElement {
  @property({ attribute: false }) models: readonly { name: string; title: string }[] = MODELS;
  /** The chosen model's name. */
  @property() selected = '';

  static override styles = [
    fieldStyles,
    css`
      :host {
        display: block;
      }
      label {
        display: grid;
        justify-items: start;
        gap: 0.2rem;
        color: #5b6270;
        font-size: 0.85rem;
      }
    `,
  ];

  protected override render() {
    return html`
      <label>
        Model
        <select aria-label="Model" @change=${this.onChange}>
          ${this.models.map((m) => html`<option value=${m.name} ?selected=${m.name === this.selected}>${m.title} · ${m.name}</option>`)}
        </select>
      </label>
    `;
  }

  protected override updated(changed: PropertyValues<this>): void {
    // The attribute alone does not move a selection the user has made; the property does.
    if (changed.has('selected') || changed.has('models')) {
      const select = this.renderRoot.querySelector('select');
      if (select && this.selected) select.value = this.selected;
    }
  }

  // Every change is handed on, even one back to `selected`: that property is only as fresh as the
  // last render, and under load a visitor can pick twice between renders (A -> B -> A), where the
  // second pick matches the stale property. The controller knows which pick is the latest.
  private onChange = (e: Event): void => {
    const name = (e.target as HTMLSelectElement).value;
    this.dispatchEvent(new CustomEvent<ModelSelectDetail>('model-select', { detail: { name }, bubbles: true, composed: true }));
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'model-picker': ModelPicker;
  }
}
