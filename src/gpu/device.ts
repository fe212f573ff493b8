// WebGPU device acquisition: the one place that asks a `GPU` object for an adapter and a device.
//
// The `GPU` object is passed in (navigator.gpu in the page, Dawn's `create([...])` in Node); nothing
// here reads a global, so the same code runs in both. Optional features the engine can use
// ('timestamp-query' for the profiler, 'shader-f16', 'subgroups') are requested when the adapter has
// them and reported as booleans; required limits are checked against the adapter before asking for a
// device, so a too-small adapter fails with a message that names the limit.
import { errorMessage } from '../model/errors.ts';

/** Why no device could be had. */
export type WebGPUUnavailableReason =
  /** No `GPU` object: the browser has no WebGPU, or it is turned off, or the page is not a secure context. */
  | 'no-webgpu'
  /** `requestAdapter()` returned null (blocklisted GPU, WebGPU disabled by a flag or policy, no driver). */
  | 'no-adapter'
  /** The adapter's limits are below what the caller needs. */
  | 'limits'
  /** The adapter was found but `requestDevice()` failed. */
  | 'device'
  /** `requestAdapter()` or `requestDevice()` did not settle within the deadline (a hung driver). */
  | 'hung';

/** A numeric limit of GPUSupportedLimits, e.g. 'maxStorageBufferBindingSize'. */
export type LimitName = {
  [K in keyof GPUSupportedLimits]-?: GPUSupportedLimits[K] extends number ? K : never;
}[keyof GPUSupportedLimits];

export class WebGPUUnavailableError extends Error {
  override readonly name = 'WebGPUUnavailableError';
  readonly reason: WebGPUUnavailableReason;
  /** For reason 'limits': the first limit the adapter does not meet. */
  readonly limit?: { name: LimitName; adapter: number; needed: number };

  constructor(
    reason: WebGPUUnavailableReason,
    message: string,
    extra: { limit?: { name: LimitName; adapter: number; needed: number }; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.reason = reason;
    if (extra.limit) this.limit = extra.limit;
  }
}

export interface AcquireDeviceOptions {
  /** navigator.gpu in a page, `create([...])` from the `webgpu` package in Node. May be missing. */
  gpu: GPU | null | undefined;
  /**
   * Limits the caller needs, by name. For `max*` limits the value is a minimum the adapter must
   * reach; for the `min*Alignment` limits it is a maximum (a smaller alignment is better). These
   * exact values are requested from the device; limits not named keep WebGPU's defaults.
   */
  requiredLimits?: Partial<Record<LimitName, number>>;
  powerPreference?: GPUPowerPreference;
  /** Device label, shown in WebGPU error messages. */
  label?: string;
  /** How long each request may take before it counts as hung (default WEBGPU_REQUEST_DEADLINE_MS). */
  deadlineMs?: number;
}

/**
 * Seconds-scale deadline of requestAdapter() and requestDevice() each. Both answer within a
 * second on every adapter seen here (SwiftShader included); a driver that hangs never answers,
 * and the page must then fall back to the CPU instead of waiting forever.
 */
export const WEBGPU_REQUEST_DEADLINE_MS = 10_000;

/** `promise`, or a rejection with `onTimeout()`'s error once `ms` have passed without it settling. */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software (CPU) or otherwise reduced adapter, such as SwiftShader, when the browser says so. */
  isFallbackAdapter: boolean;
}

/** Optional features, each true only when the adapter had it and the device was given it. */
export interface DeviceFeatures {
  timestampQuery: boolean;
  shaderF16: boolean;
  subgroups: boolean;
}

/** The device limits this project cares about (what the device got, not the adapter's maximum). */
export interface DeviceLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxUniformBufferBindingSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxBindGroups: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  minUniformBufferOffsetAlignment: number;
  minStorageBufferOffsetAlignment: number;
}

const REPORTED_LIMITS: readonly (keyof DeviceLimits)[] = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxBindGroups',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
];

/** Plain data about the device: what the UI shows (no GPU objects in it). */
export interface DeviceReport {
  /** The adapter's display name (adapterName). */
  name: string;
  adapterInfo: AdapterInfo;
  features: DeviceFeatures;
  limits: DeviceLimits;
}

export interface AcquiredDevice extends DeviceReport {
  adapter: GPUAdapter;
  device: GPUDevice;
  /** Resolves when the device is lost (or destroyed: then `reason` is 'destroyed'). */
  lost: Promise<GPUDeviceLostInfo>;
}

const OPTIONAL_FEATURES = {
  timestampQuery: 'timestamp-query',
  shaderF16: 'shader-f16',
  subgroups: 'subgroups',
} as const satisfies Record<keyof DeviceFeatures, GPUFeatureName>;

/** Gets an adapter and a device, or throws a WebGPUUnavailableError that says why not. */
export async function acquireDevice(options: AcquireDeviceOptions): Promise<AcquiredDevice> {
  const { gpu } = options;
  if (!gpu || typeof gpu.requestAdapter !== 'function') {
    throw new WebGPUUnavailableError('no-webgpu', 'This browser does not expose WebGPU (navigator.gpu is missing).');
  }

  const deadlineMs = options.deadlineMs ?? WEBGPU_REQUEST_DEADLINE_MS;
  const hung = (call: string) => () =>
    new WebGPUUnavailableError('hung', `${call} did not answer within ${deadlineMs / 1000} s (the GPU driver may be hung).`);
  let adapter: GPUAdapter | null;
  try {
    adapter = await withDeadline(
      gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined),
      deadlineMs,
      hung('requestAdapter()'),
    );
  } catch (cause) {
    if (cause instanceof WebGPUUnavailableError) throw cause;
    throw new WebGPUUnavailableError('no-adapter', `requestAdapter() failed: ${errorMessage(cause)}`, { cause });
  }
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'no-adapter',
      'WebGPU is present but no GPU adapter was offered (the GPU may be blocklisted, or WebGPU disabled).',
    );
  }

  const requiredLimits: Record<string, number> = {};
  for (const [name, needed] of Object.entries(options.requiredLimits ?? {}) as [LimitName, number | undefined][]) {
    if (needed === undefined) continue;
    const have = adapter.limits[name];
    if (typeof have !== 'number') {
      throw new WebGPUUnavailableError('limits', `Unknown WebGPU limit '${name}'.`, {
        limit: { name, adapter: NaN, needed },
      });
    }
    const alignment = name.startsWith('min');
    if (alignment ? have > needed : have < needed) {
      throw new WebGPUUnavailableError(
        'limits',
        `The GPU adapter's ${name} is ${have}; this demo needs ${alignment ? 'at most' : 'at least'} ${needed}.`,
        { limit: { name, adapter: have, needed } },
      );
    }
    requiredLimits[name] = needed;
  }

  const requiredFeatures = Object.values(OPTIONAL_FEATURES).filter((f) => adapter.features.has(f));

  let device: GPUDevice;
  try {
    device = await withDeadline(
      adapter.requestDevice({ label: options.label ?? 'mtp-demo', requiredFeatures, requiredLimits }),
      deadlineMs,
      hung('requestDevice()'),
    );
  } catch (cause) {
    if (cause instanceof WebGPUUnavailableError) throw cause;
    throw new WebGPUUnavailableError('device', `requestDevice() failed: ${errorMessage(cause)}`, { cause });
  }

  const features = Object.fromEntries(
    Object.entries(OPTIONAL_FEATURES).map(([key, name]) => [key, device.features.has(name)]),
  ) as unknown as DeviceFeatures;
  const limits = Object.fromEntries(REPORTED_LIMITS.map((name) => [name, device.limits[name]])) as unknown as DeviceLimits;

  const adapterInfo = await readAdapterInfo(adapter);
  return {
    adapter,
    device,
    name: adapterName(adapterInfo),
    adapterInfo,
    features,
    limits,
    lost: device.lost,
  };
}

/** What the page and the tools call an adapter: its description, else vendor and architecture. */
export function adapterName(info: AdapterInfo): string {
  return info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'WebGPU adapter';
}

/** adapter.info where the browser has it; the older requestAdapterInfo() otherwise. */
async function readAdapterInfo(adapter: GPUAdapter): Promise<AdapterInfo> {
  type Legacy = { requestAdapterInfo?: () => Promise<Partial<GPUAdapterInfo>> };
  const info: Partial<GPUAdapterInfo> | undefined =
    (adapter as { info?: GPUAdapterInfo }).info ?? (await (adapter as unknown as Legacy).requestAdapterInfo?.());
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
  };
}

/** Advice for a visitor whose browser gave no WebGPU device. */
export interface WebGPUAdvice {
  /** The browser as far as the user-agent string tells ('Chrome 120 on Linux'), or 'your browser'. */
  browser: string;
  /** Short plain sentences, most relevant first. */
  lines: string[];
}

/**
 * Plain advice on getting WebGPU, from the user-agent string alone (pure: no globals). Pass
 * `secureContext: false` when the page was served over plain http from another machine: browsers
 * hide WebGPU there whatever the version.
 */
export function describeMissingWebGPU(userAgent: string, context: { secureContext?: boolean } = {}): WebGPUAdvice {
  const ua = userAgent ?? '';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /CrOS/.test(ua)
          ? 'ChromeOS'
          : /Mac OS X|Macintosh/.test(ua)
            ? 'macOS'
            : /Linux|X11/.test(ua)
              ? 'Linux'
              : '';

  const version = (re: RegExp): number => Number(re.exec(ua)?.[1] ?? NaN);
  let name = '';
  let major = NaN;
  if (/Edg\//.test(ua)) [name, major] = ['Edge', version(/Edg\/(\d+)/)];
  else if (/Firefox\//.test(ua)) [name, major] = ['Firefox', version(/Firefox\/(\d+)/)];
  else if (/Chrom(e|ium)\//.test(ua)) [name, major] = [/Chromium\//.test(ua) ? 'Chromium' : 'Chrome', version(/Chrom(?:e|ium)\/(\d+)/)];
  else if (/Safari\//.test(ua) && /Version\//.test(ua)) [name, major] = ['Safari', version(/Version\/(\d+)/)];

  const browser = name ? `${name}${Number.isFinite(major) ? ` ${major}` : ''}${os ? ` on ${os}` : ''}` : 'your browser';
  const lines: string[] = [];

  if (context.secureContext === false) {
    lines.push('WebGPU only works on secure pages: open this demo over https, or from http://localhost on the same machine.');
  }

  const chromium = name === 'Chrome' || name === 'Chromium' || name === 'Edge';
  if (chromium && major < 113) {
    lines.push(`${name} has WebGPU from version 113: update the browser.`);
  } else if (chromium && os === 'Linux') {
    lines.push(
      `${name} on Linux turns WebGPU on only for some GPUs. Start it with --enable-unsafe-webgpu ` +
        '(and --enable-features=Vulkan), or enable "Unsafe WebGPU Support" at chrome://flags/#enable-unsafe-webgpu, then restart it.',
    );
  } else if (chromium) {
    lines.push(
      `${name} has WebGPU on by default on Windows, macOS and ChromeOS (version 113+) and on recent Android devices (121+), ` +
        'but it turns WebGPU off for GPUs or drivers it blocklists. Check chrome://gpu, update the graphics driver, or try ' +
        'chrome://flags/#enable-unsafe-webgpu.',
    );
  } else if (name === 'Firefox' && os === 'Windows' && major < 141) {
    lines.push('Firefox has WebGPU on Windows from version 141: update the browser.');
  } else if (name === 'Firefox' && os === 'Windows') {
    lines.push('Firefox 141+ has WebGPU on Windows, but not for every GPU: update the graphics driver, or try Chrome or Edge.');
  } else if (name === 'Firefox') {
    lines.push('Firefox ships WebGPU on Windows (141+); on other systems it is still being rolled out. Try Chrome or Edge.');
  } else if (name === 'Safari' && major < 26) {
    lines.push('Safari has WebGPU from Safari 26 (macOS, iOS and iPadOS 26): update the system.');
  } else if (name === 'Safari') {
    lines.push("Safari 26 has WebGPU; if it is missing, check that WebGPU is not turned off in Safari's feature flags.");
  } else {
    lines.push('WebGPU ships in Chrome and Edge 113+ (Windows, macOS, ChromeOS), Safari 26 and Firefox 141+ on Windows.');
  }
  return { browser, lines };
}
