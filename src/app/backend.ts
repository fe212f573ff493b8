// The model files and the two engines of the race (baseline and MTP), on one WebGPU device or,
// where the page has no WebGPU, on the CPU reference.
import type { ModelFileHashes } from '../model/catalogue.ts';
import type { ModelStore } from './model-store.ts';
import type { DraftTree } from '../model/draft-tree.ts';
import {
  acquireDevice,
  describeMissingWebGPU,
  WebGPUUnavailableError,
  withDeadline,
  type DeviceReport,
  type WebGPUAdvice,
} from '../gpu/device.ts';
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
  /** Every file came from the kept copies (FetchModelOptions.store), none over the network. */
  fromCache?: boolean;
  /** What went wrong with keeping the files (none kept, a damaged copy replaced), for a notice. */
  storeNote?: string;
}

/** A model file the server did not deliver, or delivered as something else; names the file. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

/**
 * A download that delivers no byte for this long (no answer, or a body that stops arriving) is
 * abandoned with an error naming the file. A slow download that still moves is never cut: the
 * deadline restarts with every chunk. Long enough for a loaded server or a slow link to answer.
 */
export const DOWNLOAD_STALL_MS = 20_000;

export interface FetchModelOptions {
  /** Heard after each chunk of the weights: the bytes so far, and their total when the server sends a content-length. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** The stall deadline (DOWNLOAD_STALL_MS). */
  stallMs?: number;
  /** Aborts the downloads (another model was chosen). */
  signal?: AbortSignal;
  /** Where files are kept between visits (src/app/model-store.ts), with each file's SHA-256 to check them by. */
  store?: ModelStore;
  sha256?: ModelFileHashes;
}

/**
 * Fetches `<base>.safetensors`, `<base>.tokenizer.json` and `<base>.card.json` (e.g. base =
 * '/models/kjv-mtp'). Every failure names the file: a missing one (HTTP 404, or the HTML page
 * that Vite's servers answer for any unknown path with status 200), a body cut short or stalled
 * (read inside the same naming code as the answer), unreadable JSON, weights that do not parse.
 */
export async function fetchModel(base: string, fetcher: typeof fetch = fetch, options: FetchModelOptions = {}): Promise<Model> {
  const stallMs = options.stallMs ?? DOWNLOAD_STALL_MS;
  const files = { weights: `${base}.safetensors`, tokenizer: `${base}.tokenizer.json`, card: `${base}.card.json` };
  const { store, sha256 } = options;
  let kept = 0;
  /** A file's bytes: its kept copy when it is still the right one, else downloaded (and kept). */
  const file = async (key: keyof ModelFileHashes, onProgress?: FetchModelOptions['onProgress']): Promise<Uint8Array> => {
    const url = files[key];
    const hash = sha256?.[key];
    const copy = store && hash ? await store.read(url, hash) : undefined;
    if (copy) {
      kept++;
      onProgress?.(copy.byteLength, copy.byteLength);
      return copy;
    }
    const bytes = await download(url, fetcher, stallMs, options.signal, onProgress);
    if (store && hash) await store.write(url, hash, bytes);
    return bytes;
  };
  const json = async (key: 'tokenizer' | 'card'): Promise<unknown> => {
    const url = files[key];
    const bytes = await file(key);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ModelFileError(`${url}: not UTF-8 text`);
    }
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
  const [weightBytes, tokenizerJson, card] = await Promise.all([file('weights', options.onProgress), json('tokenizer'), json('card')]);
  return {
    name: base.split('/').pop() ?? base,
    weights: named(files.weights, () => loadWeights(weightBytes.buffer as ArrayBuffer)),
    tokenizer: named(files.tokenizer, () => new Tokenizer(tokenizerJson as TokenizerJSON)),
    decoding: decodingSettings(card, files.card),
    fromCache: kept === 3,
    storeNote: store?.takeNote(),
  };
}

/**
 * One file's bytes: the answer checked and the body read chunk by chunk, every failure a
 * ModelFileError naming `url`; `outer` aborts it. No byte for `stallMs` (before the answer or between chunks) aborts
 * the request; a body shorter than its content-length is reported as cut short.
 */
async function download(
  url: string,
  fetcher: typeof fetch,
  stallMs: number,
  outer: AbortSignal | undefined,
  onProgress?: (received: number, total: number | undefined) => void,
): Promise<Uint8Array> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let received = 0;
  let rejectStalled!: (e: Error) => void;
  const stalled = new Promise<never>((_, reject) => (rejectStalled = reject));
  // It settles only by rejecting, possibly after the race below has moved on: not an unhandled one.
  stalled.catch(() => {});
  /** `p`, or the stall error if no byte comes within `stallMs` from now. */
  const within = <T>(p: Promise<T>): Promise<T> => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const where = received > 0 ? `after ${received} bytes` : 'before the first byte';
      // Rejected before the abort, whose own rejection of the read would otherwise win the race.
      rejectStalled(new ModelFileError(`${url}: the download stalled (no data for ${stallMs / 1000} s, ${where})`));
      abort.abort();
    }, stallMs);
    return Promise.race([p, stalled]);
  };
  const signal = outer ? AbortSignal.any([outer, abort.signal]) : abort.signal;
  try {
    let response: Response;
    try {
      response = await within(fetcher(url, { signal }));
    } catch (e) {
      if (e instanceof ModelFileError) throw e;
      throw new ModelFileError(`${url}: could not be fetched (${clause(e)})`);
    }
    if (response.status === 404) throw new ModelFileError(`${url}: not found (HTTP 404)`);
    if (!response.ok) throw new ModelFileError(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
    if ((response.headers.get('content-type') ?? '').includes('text/html'))
      throw new ModelFileError(`${url}: not found (the server answered with an HTML page)`);
    const length = Number(response.headers.get('content-length') ?? NaN);
    // A compressed body's content-length counts the encoded bytes, not the ones the reader yields.
    const total = Number.isInteger(length) && length >= 0 && !response.headers.get('content-encoding') ? length : undefined;
    onProgress?.(0, total);
    const chunks: Uint8Array[] = [];
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await within(reader.read());
        } catch (e) {
          if (e instanceof ModelFileError) throw e;
          throw new ModelFileError(`${url}: the download broke off after ${received} bytes (${clause(e)})`);
        }
        if (chunk.done) break;
        chunks.push(chunk.value);
        received += chunk.value.byteLength;
        onProgress?.(received, total);
      }
    }
    if (total !== undefined && received < total) throw new ModelFileError(`${url}: cut short (${received} of ${total} bytes arrived)`);
    const out = new Uint8Array(received);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
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
    super(
      `Building the WebGPU engine (compiling the shaders) did not finish within ${ENGINE_BUILD_DEADLINE_MS / 1000} s (the GPU driver may be hung).`,
    );
  }
}

/** Submissions per row-batch size for the profiler panel's cost curve: a median of 3, few since a submission is slow on a CPU rasteriser. */
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
        disposed
          ? new Promise<string>(() => {})
          : `The GPU device was lost (${info.reason}): ${clause(info.message || 'no reason given')}.`,
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
