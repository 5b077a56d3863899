// Acquiring a WebGPU device for training, the same way in a browser worker and in Node.
// We ask for the adapter's own limits (the defaults cap storage bindings at 128 MiB) and for
// the optional features that speed training up when present.

export const TRAINING_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;
export type TrainingLimit = (typeof TRAINING_LIMITS)[number];

export const TRAINING_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;
export type TrainingFeature = (typeof TRAINING_FEATURES)[number];

export interface AdapterReport {
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
  limits: Record<TrainingLimit, number>;
  features: Record<TrainingFeature, boolean>;
  /** Every feature the adapter exposes, for diagnosis. */
  allFeatures: string[];
}

export class WebGPUUnavailableError extends Error {
  constructor(readonly reason: string, readonly hint: string) {
    super(`${reason}. ${hint}`);
    this.name = 'WebGPUUnavailableError';
  }
}

/** A software rasteriser posing as a GPU (SwiftShader, llvmpipe, WARP): WebGPU works there, but on the CPU. */
export function isSoftwareAdapterInfo(a: AdapterReport['adapter']): boolean {
  return a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i.test([a.vendor, a.architecture, a.device, a.description].join(' '));
}

/** An adapter's info in the report's fields; `legacyFallback` is where older implementations put isFallbackAdapter. */
function adapterFields(info: GPUAdapterInfo | undefined, legacyFallback?: boolean): AdapterReport['adapter'] {
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? legacyFallback),
  };
}

/** The adapter a device came from (GPUDevice.adapterInfo; empty where the browser lacks it). */
export function deviceAdapterInfo(device: GPUDevice): AdapterReport['adapter'] {
  return adapterFields((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo);
}

export function describeAdapter(adapter: GPUAdapter): AdapterReport {
  const info = adapter.info;
  const limits = Object.fromEntries(TRAINING_LIMITS.map((k) => [k, Number(adapter.limits[k])])) as Record<TrainingLimit, number>;
  const features = Object.fromEntries(TRAINING_FEATURES.map((f) => [f, adapter.features.has(f)])) as Record<TrainingFeature, boolean>;
  return {
    adapter: adapterFields(info, (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    limits,
    features,
    allFeatures: [...adapter.features].map(String).sort(),
  };
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
}

/** Requests an adapter and a device with the adapter's own training limits and available features. */
export async function acquireDevice(gpu: GPU | undefined, hint: string): Promise<AcquiredDevice> {
  if (!gpu) throw new WebGPUUnavailableError('WebGPU is not available here (navigator.gpu is missing)', hint);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGPUUnavailableError('WebGPU is present but no GPU adapter could be obtained', hint);
  const report = describeAdapter(adapter);
  const requiredLimits: Record<string, number> = {};
  for (const k of TRAINING_LIMITS) requiredLimits[k] = report.limits[k];
  const requiredFeatures = TRAINING_FEATURES.filter((f) => report.features[f]) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'lantern-trainer' });
  return { adapter, device, report };
}

export const BROWSER_HINT =
  'Use a recent Chromium-based browser (Chrome or Edge 113+) with hardware acceleration on. ' +
  'On Linux, start Chromium with --enable-unsafe-webgpu (and --enable-features=Vulkan where needed); ' +
  'check chrome://gpu for "WebGPU: Hardware accelerated".';
