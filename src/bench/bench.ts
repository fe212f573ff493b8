// The benchmark's measurement, shared by the Node command (scripts/bench.ts) and the browser
// one (bench.html): baseline (depth 0) and MTP (depth D) alternate per prompt on the same
// engine, same prompt, same length; tokens/s counts decoded tokens over summed step time
// (prefill apart); the cost curve T(M) times a verify block of M rows alone.
//
// With `sampling` (temperature > 0) both sides sample (speculative sampling on the MTP side), with a
// seed per run (seed + prompt index * runs + run, the same for both sides). Their outputs then differ
// by design (the same distribution, not the same tokens), so `outputs_identical` is null.
// Greedy runs apply the no-repeat n-gram rule of `noRepeatNgram` (src/decode/no-repeat.ts) on both sides.
// With `tree` the MTP side drafts that tree (greedy only) instead of the chain of `depth`; the cost
// curve then runs up to the tree's rows.
import type { DecodeEngine } from '../model/decode-engine.ts';
import type { DraftTree } from '../model/draft-tree.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import { DecodeRun, type DecodeOptions, type SamplingOptions } from '../decode/decode-run.ts';
import { RunMetrics, type MetricsSnapshot } from '../decode/metrics.ts';
import { median } from '../model/median.ts';
import { preparePrompt } from '../decode/prompt.ts';

export interface BenchOptions {
  /** Where the benchmark runs, for tables ("Node", "Chromium"). */
  runtime: string;
  prompts: string[];
  tokens: number;
  depth: number;
  /** The MTP side drafts this tree instead of the chain (greedy only). */
  tree?: DraftTree;
  runs: number;
  /** Rows 1..4 (or up to the tree's) of a verify block, timed in `costRepeats` interleaved rounds (median); none when the engine can't. */
  costRepeats?: number;
  /** Sample instead of greedy decoding (temperature 0 or absent: greedy). */
  sampling?: SamplingOptions;
  /** Greedy: the no-repeat n-gram rule's n (0 or absent: off). */
  noRepeatNgram?: number;
  /** Tokens the engine's MTP modules score (Weights.draftVocab's length), for the report; absent: all. */
  draftVocabSize?: number;
  log?: (line: string) => void;
}

/** What an engine must offer for the cost curve (GpuEngine does). */
export interface CostCurveEngine extends DecodeEngine {
  measureVerify(rows: number, repeats: number): Promise<number>;
}

export interface BenchReport {
  runtime: string;
  adapter: string;
  model: string;
  tokens: number;
  /** dispatches_per_step: compute dispatches a step encoded, mean over the measured steps (null on the CPU engine). */
  baseline: { tokens_per_s: number; ms_per_step: number; dispatches_per_step: number | null };
  mtp: {
    depth: number;
    tokens_per_s: number;
    ms_per_step: number;
    tokens_per_step: number;
    /** The main model's verify rows a step (depth + 1 for a chain). */
    rows_per_step: number;
    /** Per draft depth; with a tree, depth k's: the main model's token was among the candidates there. */
    acceptance: Record<string, number>;
    dispatches_per_step: number | null;
    /** The tree drafted (null: the chain): its verify rows and candidates per depth ("3-5-7"). */
    tree: { rows: number; shape: string } | null;
    /** Tokens the MTP modules score (their draft vocabulary); null: every token. */
    draft_vocab: number | null;
  };
  speedup: number;
  /** Greedy: whether MTP's output equalled the baseline's on every run. Sampling: null (meaningless). */
  outputs_identical: boolean | null;
  /** The sampling setting, null for greedy. */
  sampling: { temperature: number; top_p: number; seed: number } | null;
  /** Greedy: the no-repeat n-gram rule's n (0: off); null when sampling. */
  no_repeat_ngram: number | null;
  cost_curve_ms: Record<string, number>;
  /**
   * Where an MTP step's time goes, derived from the measured steps and the cost curve: `verify` is
   * what a baseline step costs plus what verifying more rows adds, baseline ms/step + T(rows) - T(1)
   * (so a step's fixed cost, the readback and the loop's bookkeeping, counts once, as in a baseline
   * step); `drafting` is the rest of the MTP step, every module's catch-up and drafting;
   * `per_module` = drafting / depth / baseline ms/step, the cost c of one module next to a main-model
   * step. Null without a cost curve.
   */
  mtp_step_split_ms: { verify: number; drafting: number; per_module: number } | null;
  /** speedup / (tokens_per_step * T(1) / T(rows a step verifies)): 1 = perfect overlap. */
  efficiency: number | null;
  per_prompt: { prompt: string; speedup: number; acceptance: Record<string, number>; tokens_per_step: number }[];
}

async function runOnce(
  engine: DecodeEngine,
  prompt: number[],
  depth: number,
  tokens: number,
  mode: Pick<DecodeOptions, 'sampling' | 'noRepeatNgram' | 'tree'>,
  dispatches: Dispatches | null,
  ...into: RunMetrics[]
): Promise<number[]> {
  const run = new DecodeRun(engine, { depth, maxTokens: tokens, ...mode, tree: depth > 0 ? mode.tree : undefined });
  await run.prefill(prompt);
  for (let event = await run.step(); event; event = await run.step()) {
    for (const m of into) m.add(event);
    if (dispatches && engine.lastStepDispatches !== undefined) {
      dispatches.total += engine.lastStepDispatches;
      dispatches.steps++;
    }
  }
  return run.tokens;
}

/** Dispatches counted over the measured steps of one side. */
interface Dispatches {
  total: number;
  steps: number;
}
const perStep = (d: Dispatches) => (d.steps ? d.total / d.steps : null);

/** Acceptance per draft position, keyed "1".."D" (NaN where nothing was judged): the JSON's form. */
export function acceptanceOf(s: MetricsSnapshot): Record<string, number> {
  return Object.fromEntries(s.acceptance.map((a) => [String(a.position), a.rate ?? NaN]));
}

export async function runBench(engine: DecodeEngine, tokenizer: Tokenizer, modelName: string, o: BenchOptions): Promise<BenchReport> {
  const log = o.log ?? (() => {});
  // A prompt too long for the context keeps its tail, as in the page (src/decode/prompt.ts).
  const encode = (text: string, tokens = o.tokens, say = false) => {
    const prepared = preparePrompt(tokenizer, text, { maxSeqLen: engine.config.max_seq_len, depth: o.depth, maxTokens: tokens });
    if (say && prepared.keptTokens < prepared.textTokens) log(`note: ${JSON.stringify(text.slice(0, 40))}: ${prepared.notes.join(' ')}`);
    return prepared.tokens;
  };
  const sampling = o.sampling && o.sampling.temperature > 0 ? { topP: 1, seed: 0, ...o.sampling } : undefined;
  const noRepeatNgram = sampling ? 0 : (o.noRepeatNgram ?? 0);
  const seeded = (n: number) => ({ sampling: sampling && { ...sampling, seed: sampling.seed + n }, noRepeatNgram, tree: o.tree });
  // Warm-up: compile and page in everything both modes touch.
  await runOnce(engine, encode(o.prompts[0], 8), 0, 8, seeded(-1), null, new RunMetrics(0));
  await runOnce(engine, encode(o.prompts[0], 8), o.depth, 8, seeded(-1), null, new RunMetrics(o.depth));

  const base = new RunMetrics(0);
  const mtp = new RunMetrics(o.depth);
  const baseDispatches = { total: 0, steps: 0 };
  const mtpDispatches = { total: 0, steps: 0 };
  const perPrompt: BenchReport['per_prompt'] = [];
  let identical = true;
  for (const [i, text] of o.prompts.entries()) {
    const prompt = encode(text, o.tokens, true);
    const pb = new RunMetrics(0);
    const pm = new RunMetrics(o.depth);
    for (let r = 0; r < o.runs; r++) {
      const b = await runOnce(engine, prompt, 0, o.tokens, seeded(i * o.runs + r), baseDispatches, pb, base);
      const m = await runOnce(engine, prompt, o.depth, o.tokens, seeded(i * o.runs + r), mtpDispatches, pm, mtp);
      identical &&= b.length === m.length && b.every((t, i) => t === m[i]);
    }
    const sb = pb.snapshot();
    const sm = pm.snapshot();
    perPrompt.push({
      prompt: text,
      speedup: sm.tokensPerSecond! / sb.tokensPerSecond!,
      acceptance: acceptanceOf(sm),
      tokens_per_step: sm.meanTokensPerStep!,
    });
    log(
      `${JSON.stringify(text).slice(1, 41).padEnd(40)}  speedup ${(sm.tokensPerSecond! / sb.tokensPerSecond!).toFixed(2)}x  accept ${sm.acceptance.map((a) => a.rate?.toFixed(2)).join(' / ')}  tokens/step ${sm.meanTokensPerStep!.toFixed(2)}`,
    );
  }
  const sb = base.snapshot();
  const sm = mtp.snapshot();

  const cost: Record<string, number> = {};
  if (o.costRepeats && 'measureVerify' in engine) {
    const e = engine as CostCurveEngine;
    await runOnce(e, encode(o.prompts[0], 1), 0, 1, {}, null, new RunMetrics(0));
    // Rounds of M = 1..4 (and the tree's rows), then the median per M: a machine that slows down for
    // a while (a shared VM, a CPU rasteriser) then slows every M alike instead of skewing one.
    const rows = [...new Set([1, 2, 3, 4, ...(o.tree ? [Math.ceil((o.tree.size + 1) / 2), o.tree.size + 1] : [])])].sort((a, b) => a - b);
    const samples: number[][] = rows.map(() => []);
    for (let round = 0; round < o.costRepeats; round++) for (const [i, M] of rows.entries()) samples[i].push(await e.measureVerify(M, 1));
    samples.forEach((times, i) => (cost[String(rows[i])] = median(times)));
  }
  const speedup = sm.tokensPerSecond! / sb.tokensPerSecond!;
  const verifyRows = o.tree ? o.tree.size + 1 : o.depth + 1;
  const ideal = cost['1'] && cost[String(verifyRows)] ? (sm.meanTokensPerStep! * cost['1']) / cost[String(verifyRows)] : null;
  const verifyMs = cost[String(verifyRows)] && cost['1'] ? sb.msPerStep! + cost[String(verifyRows)] - cost['1'] : undefined;
  const split =
    verifyMs !== undefined && o.depth > 0
      ? {
          verify: verifyMs,
          drafting: sm.msPerStep! - verifyMs,
          per_module: (sm.msPerStep! - verifyMs) / (o.tree ? o.tree.depth : o.depth) / sb.msPerStep!,
        }
      : null;
  return {
    runtime: o.runtime,
    adapter: engine.name,
    model: modelName,
    tokens: o.tokens,
    baseline: { tokens_per_s: sb.tokensPerSecond!, ms_per_step: sb.msPerStep!, dispatches_per_step: perStep(baseDispatches) },
    mtp: {
      depth: o.depth,
      tokens_per_s: sm.tokensPerSecond!,
      ms_per_step: sm.msPerStep!,
      tokens_per_step: sm.meanTokensPerStep!,
      rows_per_step: sm.meanRowsPerStep!,
      acceptance: acceptanceOf(sm),
      dispatches_per_step: perStep(mtpDispatches),
      tree: o.tree ? { rows: o.tree.size + 1, shape: o.tree.describe() } : null,
      draft_vocab: o.draftVocabSize ?? null,
    },
    speedup,
    outputs_identical: sampling ? null : identical,
    sampling: sampling ? { temperature: sampling.temperature, top_p: sampling.topP, seed: sampling.seed } : null,
    no_repeat_ngram: sampling ? null : noRepeatNgram,
    cost_curve_ms: cost,
    mtp_step_split_ms: split,
    efficiency: ideal ? speedup / ideal : null,
    per_prompt: perPrompt,
  };
}

/** A readable table of a report. */
export function formatReport(r: BenchReport): string {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const identical =
    r.outputs_identical === null ? 'n/a (sampling: the same distribution, not the same tokens)' : String(r.outputs_identical);
  const mode = r.sampling
    ? `sampling T ${r.sampling.temperature} top-p ${r.sampling.top_p} seed ${r.sampling.seed}`
    : `greedy${r.no_repeat_ngram ? `, no repeated ${r.no_repeat_ngram}-grams` : ''}`;
  const lines = [
    `adapter ${r.adapter}   model ${r.model}   ${r.tokens} tokens a run   ${mode}`,
    ``,
    `                 tokens/s   ms/step   tokens/step   rows/step   dispatches/step`,
    `baseline         ${f(r.baseline.tokens_per_s).padStart(8)}  ${f(r.baseline.ms_per_step).padStart(8)}   ${f(1, 2).padStart(8)}   ${f(1, 2).padStart(8)}   ${f(r.baseline.dispatches_per_step ?? NaN).padStart(10)}`,
    `MTP depth ${r.mtp.depth}      ${f(r.mtp.tokens_per_s).padStart(8)}  ${f(r.mtp.ms_per_step).padStart(8)}   ${f(r.mtp.tokens_per_step, 2).padStart(8)}   ${f(r.mtp.rows_per_step, 2).padStart(8)}   ${f(r.mtp.dispatches_per_step ?? NaN).padStart(10)}`,
    ...(r.mtp.draft_vocab ? [`                 (the MTP modules score ${r.mtp.draft_vocab} tokens, the model's draft vocabulary)`] : []),
    ...(r.mtp.tree ? [`                 (a draft tree of ${r.mtp.tree.rows} verify rows, candidates per depth ${r.mtp.tree.shape})`] : []),
    ``,
    `speedup ${f(r.speedup, 2)}x   acceptance${r.mtp.tree ? ' (among the candidates)' : ''} ${Object.entries(r.mtp.acceptance)
      .map(([k, a]) => `@${k} ${f(a, 3)}`)
      .join('  ')}   outputs identical: ${identical}`,
    `cost curve T(M) ms: ${Object.entries(r.cost_curve_ms)
      .map(([m, t]) => `T(${m}) ${f(t)}`)
      .join('  ')}` + (r.efficiency === null ? '' : `   efficiency ${f(r.efficiency, 2)}`),
    ...(r.mtp_step_split_ms
      ? [
          `MTP step ${f(r.mtp.ms_per_step)} ms = verify ${f(r.mtp_step_split_ms.verify)} (a baseline step + T(rows) - T(1)) + drafting ` +
            `${f(r.mtp_step_split_ms.drafting)}   c = drafting / depth / baseline step = ${f(r.mtp_step_split_ms.per_module, 2)}`,
        ]
      : []),
  ];
  return lines.join('\n');
}
