// The model-weights loader (src/model/weights.ts): a model-shaped safetensors file loads into the
// Weights the CPU reference runs on, and a missing or bad config, a missing, misshapen or extra
// tensor, a non-finite value and a truncated file each fail with a WeightsFormatError naming it;
// likewise a bad draft vocabulary ("draft_vocab"), and a good one scores only its tokens in the
// reference's MTP modules.
import { describe, expect, it } from 'vitest';
import { expectedTensors, type ModelConfig } from '../../src/model/config.ts';
import { EXCLUDED_LOGIT } from '../../src/model/ops.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { parseSafetensors } from '../../src/model/safetensors.ts';
import { loadWeights, type Weights } from '../../src/model/weights.ts';
import { formatError } from '../helpers/format-error.ts';
import { u16Bytes, writeSafetensors, type TensorToWrite } from '../helpers/safetensors-writer.ts';

const TINY: ModelConfig = {
  vocab_size: 16,
  d_model: 8,
  n_layers: 1,
  n_heads: 2,
  ffn_hidden: 16,
  max_seq_len: 8,
  mtp_depth: 2,
  mtp_layers: 2,
  mtp_ffn_hidden: 24,
  rope_theta: 10000,
  norm_eps: 1e-5,
};

/** Deterministic small values, different for every tensor. */
function valuesFor(name: string, count: number): Float32Array {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed + i * 0.7) * 0.1);
}

interface ModelFileOptions {
  config?: unknown;
  /** Tensor shapes to write (defaults to expectedTensors(TINY)); null leaves a tensor out. */
  shapes?: Record<string, number[] | null>;
  poison?: { name: string; index: number; value: number };
  dtype?: 'F32' | 'F16';
  metadata?: Record<string, string> | null;
}

function modelFile(options: ModelFileOptions = {}): ArrayBuffer {
  const shapes = new Map(expectedTensors(TINY));
  for (const [name, shape] of Object.entries(options.shapes ?? {})) {
    if (shape === null) shapes.delete(name);
    else shapes.set(name, shape);
  }
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, shape] of shapes) {
    const values = valuesFor(
      name,
      shape.reduce((p, n) => p * n, 1),
    );
    if (options.poison?.name === name) values[options.poison.index] = options.poison.value;
    tensors[name] =
      options.dtype === 'F16' ? { dtype: 'F16', shape, data: u16Bytes(Array.from(values, floatToHalfTruncated)) } : { shape, data: values };
  }
  const metadata =
    options.metadata === null ? undefined : { format: 'pt', config: JSON.stringify(options.config ?? TINY), ...(options.metadata ?? {}) };
  return writeSafetensors(tensors, { metadata });
}

/** float32 -> binary16 by truncating the mantissa (fine for test values well inside the normal range). */
function floatToHalfTruncated(v: number): number {
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a < 2 ** -14) return sign; // flush subnormals to zero
  const e = Math.floor(Math.log2(a));
  const mantissa = Math.floor((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mantissa;
}

const loadError = (buffer: ArrayBuffer) => formatError(() => loadWeights(buffer)).message;

describe('loadWeights', () => {
  it('loads a model-shaped file for a tiny config', () => {
    const w = loadWeights(modelFile());
    expect(w.config).toEqual(TINY);
    expect(w.metadata.format).toBe('pt');
    const expected = expectedTensors(TINY);
    expect(new Set(w.tensors.keys())).toEqual(new Set(expected.keys()));
    for (const [name, shape] of expected) {
      expect(w.tensors.get(name)!.shape).toEqual(shape);
      expect(w.tensor(name)).toEqual(
        valuesFor(
          name,
          shape.reduce((p, n) => p * n, 1),
        ),
      );
    }
    expect(() => w.tensor('no.such.weight')).toThrow(/no tensor named "no.such.weight"/);
  });

  it('satisfies the Weights interface: the CPU reference model runs on it', () => {
    const weights: Weights = loadWeights(modelFile());
    const model = new ReferenceModel(weights);
    const cache = model.newCache();
    const out = model.main(cache, 3, 0);
    expect(out.logits.length).toBe(TINY.vocab_size);
    expect(out.logits.every(Number.isFinite)).toBe(true);
    const draft = model.mtp(1, cache, out.hidden, 5, 0); // modules are numbered from 1
    expect(draft.logits.length).toBe(TINY.vocab_size);
  });

  it('loads F16 weights as float32', () => {
    const w = loadWeights(modelFile({ dtype: 'F16' }));
    const exact = valuesFor('norm.weight', TINY.d_model);
    const got = w.tensor('norm.weight');
    exact.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -10 + 2 ** -14));
  });

  it('rejects a file with no config in its metadata', () => {
    expect(loadError(modelFile({ metadata: null }))).toMatch(/no "config" entry/);
    const noConfig = parseSafetensors(modelFile()); // same tensors, metadata without "config"
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of noConfig.tensors) tensors[name] = { shape: t.shape, data: t.data };
    expect(loadError(writeSafetensors(tensors, { metadata: { format: 'pt' } }))).toMatch(/no "config" entry/);
  });

  it('rejects a config that is not JSON or not a valid config, naming the field', () => {
    expect(loadError(writeSafetensors({}, { metadata: { config: '{"vocab_size": ' } }))).toMatch(/"config" is not valid JSON/);
    expect(loadError(modelFile({ config: { ...TINY, n_heads: 0 } }))).toMatch(/"n_heads" must be an integer in 1\.\.256, got 0/);
    expect(loadError(modelFile({ config: { ...TINY, norm_eps: undefined } }))).toMatch(/"norm_eps"/);
    expect(loadError(modelFile({ config: { ...TINY, mtp_layers: undefined } }))).toMatch(
      /"mtp_layers" must be an integer in 1\.\.16, got undefined/,
    );
    expect(loadError(modelFile({ config: [1, 2] }))).toMatch(/config/);
  });

  it('rejects a config outside sane bounds before sizing anything from it, naming the field', () => {
    // A context of 1e9 positions once reached the engine as "Invalid typed array length".
    expect(loadError(modelFile({ config: { ...TINY, max_seq_len: 1e9 } }))).toMatch(
      /"max_seq_len" must be an integer in 4\.\.8192, got 1000000000/,
    );
    // Two positions cannot hold a prompt and a draft (eval printed NaN for it).
    expect(loadError(modelFile({ config: { ...TINY, max_seq_len: 2 } }))).toMatch(/"max_seq_len" must be an integer in 4\.\./);
    expect(loadError(modelFile({ config: { ...TINY, max_seq_len: 4, mtp_depth: 3 } }))).toMatch(
      /"max_seq_len" \(4\) must hold a token and "mtp_depth" \(3\) drafts/,
    );
    expect(loadError(modelFile({ config: { ...TINY, d_model: 1e6 } }))).toMatch(/"d_model" must be an integer in 2\.\.4096/);
    expect(loadError(modelFile({ config: { ...TINY, mtp_depth: 99 } }))).toMatch(/"mtp_depth" must be an integer in 0\.\.8/);
    expect(loadError(modelFile({ config: { ...TINY, n_heads: 3 } }))).toMatch(/"d_model" \(8\) must split into "n_heads" \(3\)/);
    expect(loadError(modelFile({ config: { ...TINY, rope_theta: Infinity } }))).toMatch(/"rope_theta" must be a positive finite number/);
  });

  it('rejects a missing tensor, naming it', () => {
    expect(loadError(modelFile({ shapes: { 'mtp.1.blocks.1.ffn.w2.weight': null } }))).toMatch(
      /missing tensor "mtp\.1\.blocks\.1\.ffn\.w2\.weight"/,
    );
    expect(loadError(modelFile({ shapes: { 'tok_emb.weight': null, 'norm.weight': null } }))).toMatch(
      /missing tensors "tok_emb\.weight", "norm\.weight"/,
    );
  });

  it('rejects a misshapen tensor, naming it with the expected and actual shapes', () => {
    expect(loadError(modelFile({ shapes: { 'layers.0.attn.wq.weight': [8, 4] } }))).toMatch(
      /tensor "layers\.0\.attn\.wq\.weight" has shape \[8,4\], expected \[8,8\]/,
    );
    // Same element count, transposed: still wrong.
    expect(loadError(modelFile({ shapes: { 'mtp.0.proj.weight': [16, 8] } }))).toMatch(
      /tensor "mtp\.0\.proj\.weight" has shape \[16,8\], expected \[8,16\]/,
    );
    // The MTP blocks have their own FFN width (mtp_ffn_hidden 24, not ffn_hidden 16).
    expect(loadError(modelFile({ shapes: { 'mtp.0.blocks.1.ffn.w1.weight': [16, 8] } }))).toMatch(
      /tensor "mtp\.0\.blocks\.1\.ffn\.w1\.weight" has shape \[16,8\], expected \[24,8\]/,
    );
    expect(loadError(modelFile({ shapes: { 'norm.weight': [1, 8] } }))).toMatch(/tensor "norm\.weight" has shape \[1,8\], expected \[8\]/);
  });

  it('rejects an unexpected extra tensor, naming it', () => {
    expect(loadError(modelFile({ shapes: { 'lm_head.weight': [16, 8] } }))).toMatch(/unexpected tensor "lm_head\.weight"/);
    // A third MTP module that the config (mtp_depth 2) does not have.
    expect(loadError(modelFile({ shapes: { 'mtp.2.norm.weight': [8] } }))).toMatch(/unexpected tensor "mtp\.2\.norm\.weight"/);
  });

  it('rejects a non-finite value, naming the tensor', () => {
    for (const value of [NaN, Infinity, -Infinity])
      expect(loadError(modelFile({ poison: { name: 'layers.0.ffn.w1.weight', index: 77, value } }))).toMatch(
        new RegExp(`tensor "layers\\.0\\.ffn\\.w1\\.weight" has a non-finite value \\(${value}\\) at index 77`),
      );
  });

  it('rejects a truncated model file with a clear error', () => {
    const whole = modelFile();
    for (const keep of [0, 5, 100, whole.byteLength - 1]) {
      const message = loadError(whole.slice(0, keep));
      expect(message).toMatch(/shorter than|past the end/);
    }
  });

  it("reads a draft vocabulary: the reference's modules score only its tokens, the main model all", () => {
    const vocab = [1, 4, 5, 15];
    const w = loadWeights(modelFile({ metadata: { draft_vocab: JSON.stringify(vocab) } }));
    expect(Array.from(w.draftVocab!)).toEqual(vocab);
    expect(loadWeights(modelFile()).draftVocab).toBeUndefined();
    const subset = new ReferenceModel(w);
    const full = new ReferenceModel({ config: w.config, tensor: w.tensor });
    const [a, b] = [subset.newCache(), full.newCache()];
    const main = subset.main(a, 3, 0);
    expect(main.logits).toEqual(full.main(b, 3, 0).logits);
    const draft = subset.mtp(1, a, main.hidden, 5, 0);
    const all = full.mtp(1, b, main.hidden, 5, 0);
    expect(draft.hidden).toEqual(all.hidden);
    draft.logits.forEach((v, i) => expect(v, `token ${i}`).toBe(vocab.includes(i) ? all.logits[i] : EXCLUDED_LOGIT));
  });

  it('rejects a draft vocabulary that is not ascending token ids, a multiple of 4 of them, naming the field', () => {
    const bad = (value: string) => loadError(modelFile({ metadata: { draft_vocab: value } }));
    expect(bad('[1, 2')).toMatch(/"draft_vocab" is not valid JSON/);
    expect(bad('{"ids": [1]}')).toMatch(/"draft_vocab" must be an array of 4\.\.16 token ids, a multiple of 4 of them/);
    expect(bad('[1, 2, 3]')).toMatch(/must be an array of 4\.\.16 token ids, a multiple of 4 of them, got 3 of them/);
    expect(bad('[1, 2, 3, 4, 5, 6]')).toMatch(/got 6 of them/);
    expect(bad(JSON.stringify(Array.from({ length: 20 }, (_, i) => i)))).toMatch(/got 20 of them/);
    expect(bad('[1, 2, 3, 16]')).toMatch(/"draft_vocab"\[3\] must be a token id in 0\.\.15, got 16/);
    expect(bad('[1, 2, 3, 1.5]')).toMatch(/\[3\] must be a token id/);
    expect(bad('[-1, 2, 3, 4]')).toMatch(/\[0\] must be a token id/);
    expect(bad('[1, 3, 2, 4]')).toMatch(/ascending order without repeats: \[2\] is 2 after 3/);
    expect(bad('[1, 3, 3, 4]')).toMatch(/\[2\] is 3 after 3/);
  });
});
