// One profiled MTP decode step on the race's MTP engine, for the profiler panel (the GPU side;
// src/ui/profiler-panel.ts only shows the result). Runs only between races: the engine is
// re-prefilled with the prompt, so whatever state a finished race left in it is replaced.
import type { GpuEngine } from '../gpu/engine.ts';
import type { Profiler } from '../gpu/profiler.ts';
import type { RecordedStep } from './trace.ts';
import { acceptedPath, acceptedPrefix } from '../decode/decode-run.ts';
import type { DraftTree } from '../model/draft-tree.ts';

/** A profiled step as the panel shows it (and the trace export reads it). */
export interface ProfiledStep extends RecordedStep {
  depth: number;
  position: number;
  costCurveMs: Record<string, number>;
  /** Drafts of the profiled step the main model accepted. */
  accepted: number;
  /** Compute dispatches the profiled step encoded, and those of a baseline step (depth 0) right after it. */
  dispatches: { mtp: number; baseline: number };
  /** The draft tree the profiled step ran (candidates per depth, "3-5-7") and its verify rows; absent for a chain. */
  tree?: { shape: string; rows: number };
}

export interface ProfileOptions {
  /** Submissions per row batch size for the cost curve T(M), M = 1..4 (and the tree's rows). */
  costRepeats: number;
  /** Profile a step of this draft tree instead of the chain of `depth`. */
  tree?: DraftTree;
  now?: () => number;
}

/**
 * Prefills `prompt`, takes one ordinary step (so the profiled one is a steady-state step, not
 * the first after a prefill), then one step of `depth` drafts through the profiler, then one
 * baseline step (to count its dispatches), then the cost curve at that position. Leaves the engine
 * between steps, with the accepted tokens committed.
 */
export async function profileOneStep(
  engine: GpuEngine,
  profiler: Profiler,
  prompt: readonly number[],
  depth: number,
  options: ProfileOptions,
): Promise<ProfiledStep> {
  const now = options.now ?? (() => performance.now());
  const commitStep = (r: { drafts: number[]; verified: number[] }) => {
    const a = acceptedPrefix(r.drafts, r.verified);
    engine.commit([...r.drafts.slice(0, a), r.verified[a]]);
    return a;
  };
  engine.commit([await engine.prefill(prompt, depth)]);
  commitStep(await engine.step(depth));
  const position = engine.length;
  const atMs = now();
  // GpuEngine.step's optional OpRunner: the profiler's runner times each kernel use.
  const tree = options.tree;
  let accepted: number;
  let profile;
  if (tree) {
    const result = await engine.treeStep(tree, profiler.runner);
    profile = await profiler.read();
    const path = acceptedPath(tree, result.tokens, result.verified);
    engine.commit([...path.map((n) => result.tokens[n - 1]), result.verified[path.at(-1) ?? 0]]);
    accepted = path.length;
  } else {
    const result = await engine.step(depth, undefined, profiler.runner);
    profile = await profiler.read();
    accepted = commitStep(result);
  }
  const mtpDispatches = engine.lastStepDispatches;
  commitStep(await engine.step(0));
  // The first step after a tree's side branch also moves it into place: count a plain one.
  if (tree) commitStep(await engine.step(0));
  const dispatches = { mtp: mtpDispatches, baseline: engine.lastStepDispatches };
  const costCurveMs: Record<string, number> = {};
  const rows = tree ? tree.size + 1 : 4;
  for (const M of new Set([1, 2, 3, 4, rows])) costCurveMs[String(M)] = await engine.measureVerify(M, options.costRepeats);
  return { atMs, profile, depth, position, costCurveMs, accepted, dispatches, ...(tree && { tree: { shape: tree.describe(), rows } }) };
}
