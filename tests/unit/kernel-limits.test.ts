// The GPU kernels' limits, checked when a GPU engine is built: each names the config field.
import { describe, expect, it } from 'vitest';
import { checkKernelLimits } from '../../src/gpu/dispatch.ts';
import type { ModelConfig } from '../../src/model/config.ts';

const shipped: ModelConfig = {
  vocab_size: 1024,
  d_model: 128,
  n_layers: 8,
  n_heads: 4,
  ffn_hidden: 384,
  max_seq_len: 256,
  mtp_depth: 3,
  mtp_layers: 1,
  mtp_ffn_hidden: 384,
  rope_theta: 10000,
  norm_eps: 1e-5,
};

describe('checkKernelLimits', () => {
  it("takes the shipped models' shape and the widest the kernels allow", () => {
    expect(() => checkKernelLimits(shipped)).not.toThrow();
    expect(() => checkKernelLimits({ ...shipped, d_model: 256, ffn_hidden: 512, mtp_ffn_hidden: 512, vocab_size: 2048 })).not.toThrow();
  });

  it('names the field past a limit', () => {
    const cases: [Partial<ModelConfig>, RegExp][] = [
      [{ d_model: 512, n_heads: 8 }, /"d_model" \(512\)/],
      [{ d_model: 130, n_heads: 2 }, /"d_model" \(130\)/],
      [{ n_heads: 1 }, /"n_heads" \(1\).*up to 64 dims/],
      [{ n_heads: 32 }, /"n_heads" \(32\).*multiple of 8/],
      [{ ffn_hidden: 1024 }, /"ffn_hidden" \(1024\)/],
      [{ mtp_ffn_hidden: 514 }, /"mtp_ffn_hidden" \(514\)/],
      [{ vocab_size: 4096 }, /"vocab_size" \(4096\)/],
      [{ vocab_size: 1023 }, /"vocab_size" \(1023\)/],
    ];
    for (const [change, message] of cases)
      expect(() => checkKernelLimits({ ...shipped, ...change }), JSON.stringify(change)).toThrow(message);
  });
});
