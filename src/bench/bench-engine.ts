// The GPU side of the browser benchmark page (bench.html): one WebGPU device and one engine, and
// the probes its golden mode offers the e2e test (tests/e2e/golden.test.ts). The page itself
// (src/bench/bench-page.ts) only parses its query and shows what comes back.
import { acquireDevice, type DeviceReport } from '../gpu/device.ts';
import { GpuEngine } from '../gpu/engine.ts';
import type { LoadedWeights } from '../model/weights.ts';

export interface BenchEngine {
  engine: GpuEngine;
  /** The adapter as the Node bench names it: description, else vendor and architecture. */
  adapter: string;
  report: DeviceReport;
  dispose(): void;
}

/** A device from `gpu` (navigator.gpu) and a GpuEngine on it; throws WebGPUUnavailableError without one. */
export async function openBenchEngine(gpu: GPU | null | undefined, weights: LoadedWeights): Promise<BenchEngine> {
  const acquired = await acquireDevice({ gpu, label: 'mtp-bench' });
  const adapter = acquired.name;
  try {
    const engine = await GpuEngine.create(acquired.device, weights, adapter);
    return {
      engine,
      adapter,
      report: { name: acquired.name, adapterInfo: acquired.adapterInfo, features: acquired.features, limits: acquired.limits },
      dispose() {
        engine.destroy();
        acquired.device.destroy();
      },
    };
  } catch (e) {
    acquired.device.destroy();
    throw e;
  }
}

/** The main model on `ids` as one prefill block: its argmax and logits at the last position. */
export interface PrefillProbe {
  argmax: number;
  logits: number[];
}

export async function probePrefill(engine: GpuEngine, ids: readonly number[]): Promise<PrefillProbe> {
  const argmax = await engine.prefill(ids, 0);
  const { main } = await engine.readLogits(0);
  return { argmax, logits: Array.from(main[0]) };
}

/**
 * One decode step of `depth` drafts after the prompt `prefix` with `next` committed as its next
 * token (teacher-forced), so that q = prefix.length - 1 is the newest position:
 * - `mtp[k - 1]`: MTP module k's logits at position q (module 1 reads `next`, a true token;
 *   module k > 1 reads module k - 1's draft);
 * - `main[j]`: the main model's logits at position q + 1 + j (row 0 reads `next`; later rows the drafts);
 * - `verified`, `drafts`: the step's argmaxes.
 */
export interface StepProbe {
  verified: number[];
  drafts: number[];
  main: number[][];
  mtp: number[][];
}

export async function probeStep(engine: GpuEngine, prefix: readonly number[], next: number, depth: number): Promise<StepProbe> {
  await engine.prefill(prefix, depth);
  engine.commit([next]);
  const { verified, drafts } = await engine.step(depth);
  const logits = await engine.readLogits(depth);
  return { verified, drafts, main: logits.main.map((r) => Array.from(r)), mtp: logits.mtp.map((r) => Array.from(r)) };
}
