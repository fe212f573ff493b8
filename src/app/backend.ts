// The model files and the two engines of the race (baseline and MTP), on one WebGPU device or,
// where the page has no WebGPU, on the CPU reference.
import type { DraftTree } from '../model/draft-tree.ts';
import { acquireDevice, describeMissingWebGPU, WebGPUUnavailableError, withDeadline, type DeviceReport, type WebGPUAdvice } from '../gpu/device.ts';
import { GpuEngine } from '../gpu/engine.ts';
import { Profiler } from '../gpu/profiler.ts';
import { CpuEngine } from '../model/cpu-engine.ts';
import { type DecodeEngine } from '../model/decode-engine.ts';
import { ReferenceModel } from '../model/reference.ts';
import { clause, errorMessage } from '../model/errors.ts';
import { decodingSettings, type DecodingSettings } from '../model/card.ts';
import { Tokenizer, type TokenizerJSON } from '../model/tokenizer.ts';
import { loadWeights, type LoadedWeights } from '../model/weights.ts';
import { profileOneStep, type ProfiledStep } from './profile.ts';

export interface Model {
  name: string;
  weights: LoadedWeights;
  tokenizer: Tokenizer;
  /** From the model card: how this model decodes (the no-repeat rule's n). */
  decoding: DecodingSettings;
}

/** A model file the server did not deliver, or delivered as something else; names the file. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

/**
 * Fetches `<base>.safetensors`, `<base>.tokenizer.json` and `<base>.card.json` (e.g. base =
 * '/models/kjv-mtp'). Every failure names the file: a missing one (HTTP 404, or the HTML page
 * that Vite's servers answer for any unknown path with status 200), unreadable JSON, weights
 * that do not parse. With `onProgress`, the weights are read chunk by chunk and it hears the bytes
 * so far after each (and their total, when the server sends a content-length).
 */
export async function fetchModel(
  base: string,
  fetcher: typeof fetch = fetch,
  onProgress?: (received: number, total: number | undefined) => void,
): Promise<Model> {
  const get = async (url: string): Promise<Response> => {
    let response: Response;
    try {
      response = await fetcher(url);
    } catch (e) {
      throw new ModelFileError(`${url}: could not be fetched (${clause(e)})`);
    }
    if (response.status === 404) throw new ModelFileError(`${url}: not found (HTTP 404)`);
    if (!response.ok) throw new ModelFileError(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
    if ((response.headers.get('content-type') ?? '').includes('text/html'))
      throw new ModelFileError(`${url}: not found (the server answered with an HTML page)`);
    return response;
  };
  const json = async (url: string): Promise<unknown> => {
    const text = await (await get(url)).text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ModelFileError(`${url}: not valid JSON (${clause(e)})`);
    }
  };
  const named = <T>(url: string, read: () => T): T => {
    try {
      return read();
    } catch (e) {
      throw new ModelFileError(`${url}: ${clause(e)}`);
    }
  };
  const files = { weights: `${base}.safetensors`, tokenizer: `${base}.tokenizer.json`, card: `${base}.card.json` };
  const [weightBytes, tokenizerJson, card] = await Promise.all([
    get(files.weights).then((r) => (onProgress ? readCounting(r, files.weights, onProgress) : r.arrayBuffer())),
    json(files.tokenizer),
    json(files.card),
  ]);
  return {
    name: base.split('/').pop() ?? base,
    weights: named(files.weights, () => loadWeights(weightBytes)),
    tokenizer: named(files.tokenizer, () => new Tokenizer(tokenizerJson as TokenizerJSON)),
    decoding: decodingSettings(card, files.card),
  };
}

/** A response's body, read with a stream reader so that `onProgress` hears each chunk. */
async function readCounting(response: Response, url: string, onProgress: (received: number, total: number | undefined) => void): Promise<ArrayBuffer> {
  const length = Number(response.headers.get('content-length') ?? NaN);
  // A compressed body's content-length counts the encoded bytes, not the ones the reader yields.
  const total = Number.isInteger(length) && length > 0 && !response.headers.get('content-encoding') ? length : undefined;
  onProgress(0, total);
  if (!response.body) {
    const bytes = await response.arrayBuffer();
    onProgress(bytes.byteLength, total);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onProgress(received, total);
    }
  } catch (e) {
    throw new ModelFileError(`${url}: could not be read (${clause(e)})`);
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out.buffer;
}

/** Why the page runs on the CPU (no device), as the adapter report shows it. */
export interface DeviceFailure {
  reason: string;
  message: string;
  advice?: WebGPUAdvice;
}

export interface Backend {
  kind: 'webgpu' | 'cpu';
  /** What the panes say they run on. */
  label: string;
  baseline: DecodeEngine;
  mtp: DecodeEngine;
  /** The device, when on WebGPU. */
  report?: DeviceReport;
  /** Why there is no WebGPU device, when on the CPU. */
  failure?: DeviceFailure;
  /**
   * On WebGPU: one profiled step of `depth` drafts on the MTP engine after `prompt`, and the cost
   * curve (src/app/profile.ts). Only between runs: it re-prefills the MTP engine.
   */
  profileStep?(prompt: readonly number[], depth: number, tree?: DraftTree): Promise<ProfiledStep>;
  /** Resolves with a message if the device is lost (never, on the CPU or after dispose). */
  lost: Promise<string>;
  /** Releases the engines and the device. */
  dispose(): void;
}

export interface BackendEnvironment {
  /** navigator.gpu (may be missing). */
  gpu: GPU | null | undefined;
  userAgent: string;
  secureContext: boolean;
}

export const CPU_LABEL = 'CPU reference engine';

/**
 * How long building both engines (compiling every pipeline, packing the weights) may take on a
 * device before the page gives up on it and races on the CPU: SwiftShader, the slowest adapter
 * seen here, builds them in a few seconds; a driver that hangs in pipeline creation never does.
 */
export const ENGINE_BUILD_DEADLINE_MS = 60_000;

class EngineHungError extends Error {
  constructor() {
    super(`Building the WebGPU engine (compiling the shaders) did not finish within ${ENGINE_BUILD_DEADLINE_MS / 1000} s (the GPU driver may be hung).`);
  }
}

/** Submissions per block size for the profiler panel's cost curve (SwiftShader: ~50 ms each). */
const PROFILE_COST_REPEATS = 3;

/** Two engines on one WebGPU device, or on the CPU reference when the page gets no device. */
export async function createBackend(weights: LoadedWeights, env: BackendEnvironment): Promise<Backend> {
  let acquired;
  try {
    acquired = await acquireDevice({ gpu: env.gpu, label: 'mtp-race' });
  } catch (e) {
    const advice = describeMissingWebGPU(env.userAgent, { secureContext: env.secureContext });
    const failure =
      e instanceof WebGPUUnavailableError
        ? { reason: e.reason, message: e.message, advice }
        : { reason: 'unexpected', message: errorMessage(e), advice };
    return cpuBackend(weights, failure);
  }
  const { device } = acquired;
  let disposed = false;
  const engines: GpuEngine[] = [];
  try {
    const label = `WebGPU · ${acquired.name}`;
    // The first engine compiles every pipeline; a driver that hangs there must not hang the page.
    const build = async () => {
      engines.push(await GpuEngine.create(device, weights, `${label} (baseline)`));
      engines.push(await GpuEngine.create(device, weights, `${label} (MTP)`));
    };
    await withDeadline(build(), ENGINE_BUILD_DEADLINE_MS, () => new EngineHungError());
    let profiler: Profiler | undefined;
    return {
      kind: 'webgpu',
      label,
      baseline: engines[0],
      mtp: engines[1],
      report: { name: acquired.name, adapterInfo: acquired.adapterInfo, features: acquired.features, limits: acquired.limits },
      profileStep(prompt, depth, tree) {
        profiler ??= new Profiler(device);
        return profileOneStep(engines[1], profiler, prompt, depth, { costRepeats: PROFILE_COST_REPEATS, tree });
      },
      lost: acquired.lost.then((info) =>
        disposed ? new Promise<string>(() => {}) : `The GPU device was lost (${info.reason}): ${clause(info.message || 'no reason given')}.`,
      ),
      dispose() {
        disposed = true;
        profiler?.destroy();
        for (const e of engines) e.destroy();
        device.destroy();
      },
    };
  } catch (e) {
    // The device was found but the engine could not be built on it (shader or limit trouble, or a hang).
    disposed = true;
    for (const engine of engines) engine.destroy();
    device.destroy();
    if (e instanceof EngineHungError) return cpuBackend(weights, { reason: 'hung', message: e.message });
    const message = `The WebGPU engine could not be built on this device: ${errorMessage(e)}`;
    return cpuBackend(weights, { reason: 'engine', message });
  }
}

export function cpuBackend(weights: LoadedWeights, failure?: DeviceFailure): Backend {
  const model = new ReferenceModel(weights);
  return {
    kind: 'cpu',
    label: CPU_LABEL,
    baseline: new CpuEngine(model),
    mtp: new CpuEngine(model),
    failure,
    lost: new Promise(() => {}),
    dispose() {},
  };
}
