// The CPU reference engine (DecodeEngine of decode-engine.ts on reference.ts): the oracle of the GPU
// engine in the tests, and the page's engine where there is no WebGPU.
import type { ModelConfig } from './config.ts';
import { checkSampling, checkUniform, type DecodeEngine, type PrefillSampling, type StepResult, type StepSampling } from './decode-engine.ts';
import { DecodeState } from './decode-state.ts';
import { argmax, sampleIndex, samplingDistribution } from './ops.ts';
import { ReferenceModel, type ModelCache } from './reference.ts';

/**
 * The engine on the CPU reference: slow, but the same mechanics, so the demo still shows
 * speculative decoding without WebGPU, and the decode loop can be tested against it.
 */
export class CpuEngine implements DecodeEngine {
  readonly name = 'CPU reference (no WebGPU)';
  readonly config: ModelConfig;
  private readonly state: DecodeState;
  private cache: ModelCache;
  /** hidden[k][pos]: h^k at each position (k = 0 main, k >= 1 MTP module k). */
  private hidden: Float32Array[][];
  /** Logits of the last step: main verify rows, each module's row at the newest position. */
  lastLogits: { main: Float32Array[]; mtp: Float32Array[] } = { main: [], mtp: [] };

  constructor(private readonly model: ReferenceModel) {
    this.config = model.config;
    this.state = new DecodeState(model.config.mtp_depth, model.config.max_seq_len);
    this.cache = model.newCache();
    this.hidden = Array.from({ length: model.config.mtp_depth + 1 }, () => []);
  }

  get length(): number {
    return this.state.tokens.length;
  }

  async prefill(prompt: readonly number[], depth: number, sampling?: PrefillSampling): Promise<number> {
    this.state.reset(prompt, depth);
    this.cache = this.model.newCache();
    let logits: Float32Array = new Float32Array();
    prompt.forEach((t, pos) => {
      const out = this.model.main(this.cache, t, pos);
      this.hidden[0][pos] = out.hidden;
      logits = out.logits;
    });
    for (let k = 1; k <= depth; k++)
      for (let i = 0; i + k < prompt.length; i++) this.runMtp(k, i, prompt[i + k]);
    this.lastLogits = { main: [logits], mtp: [] };
    if (!sampling) return argmax(logits);
    checkSampling(sampling);
    checkUniform(sampling.uniform);
    return sampleIndex(samplingDistribution(logits, sampling.temperature, sampling.topP), sampling.uniform);
  }

  async step(depth: number, sampling?: StepSampling): Promise<StepResult> {
    const plan = this.state.planStep(depth);
    if (sampling) {
      checkSampling(sampling);
      if (sampling.uniforms.length < depth) throw new RangeError(`a sampling step of depth ${depth} needs ${depth} uniforms`);
      sampling.uniforms.slice(0, depth).forEach(checkUniform);
    }
    const dist = (logits: Float32Array) => samplingDistribution(logits, sampling!.temperature, sampling!.topP);
    const p: Float32Array[] = [];
    const q: Float32Array[] = [];
    const tokens = this.state.tokens;
    const drafts: number[] = [];
    this.lastLogits = { main: [], mtp: [] };
    const tokenAt = (pos: number) => (pos < tokens.length ? tokens[pos] : drafts[pos - tokens.length]);
    plan.mtp.forEach(({ from, to }, k0) => {
      const k = k0 + 1;
      let logits: Float32Array = new Float32Array();
      for (let i = from; i <= to; i++) logits = this.runMtp(k, i, tokenAt(i + k));
      // Module k at the newest position drafts position length + k - 1.
      if (sampling) {
        const qk = dist(logits);
        drafts.push(sampleIndex(qk, sampling.uniforms[k0]));
        q.push(Float32Array.from(qk));
      } else drafts.push(argmax(logits));
      this.lastLogits.mtp.push(logits);
    });
    const verified: number[] = [];
    for (let j = 0; j <= depth; j++) {
      const pos = plan.verifyFrom + j;
      const out = this.model.main(this.cache, tokenAt(pos), pos);
      this.hidden[0][pos] = out.hidden;
      verified.push(argmax(out.logits));
      if (sampling) p.push(Float32Array.from(dist(out.logits)));
      this.lastLogits.main.push(out.logits);
    }
    this.state.stepRan(drafts);
    return sampling ? { drafts, verified, p, q } : { drafts, verified };
  }

  commit(tokens: readonly number[]): void {
    this.state.commit(tokens);
  }

  async mainLogits(row: number): Promise<Float32Array> {
    const logits = this.lastLogits.main[row];
    if (!logits) throw new RangeError(`no main logits row ${row} in the last step`);
    return logits;
  }

  private runMtp(k: number, pos: number, tokenAhead: number): Float32Array {
    const out = this.model.mtp(k, this.cache, this.hidden[k - 1][pos], tokenAhead, pos);
    this.hidden[k][pos] = out.hidden;
    return out.logits;
  }
}
