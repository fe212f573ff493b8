// The look of the controls' form fields, shared by the components that have them.
import { css } from 'lit';

export const fieldStyles = css`
  select,
  input[type='number'] {
    padding: 0.3rem 0.4rem;
    border: 1px solid var(--line, #d0d4dc);
    border-radius: 6px;
    font: inherit;
    font-size: 0.95rem;
    color: #1c1f26;
    background: #fff;
  }
  select:focus-visible,
  input:focus-visible {
    outline: 2px solid #2563eb;
    outline-offset: 1px;
  }
`;
