// WebGPU in Node through the `webgpu` npm package (Dawn). Without a GPU, Dawn falls back to
// SwiftShader's Vulkan ICD, which Debian's chromium package ships.
import { existsSync } from 'node:fs';
import { acquireDevice, WebGPUUnavailableError, type AcquiredDevice } from './gpu.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export const NODE_HINT =
  'Node WebGPU needs the Vulkan loader (apt-get install -y libvulkan1) and a Vulkan driver; ' +
  `without a GPU install chromium (apt-get install -y chromium) so that ${SWIFTSHADER_ICD} exists, ` +
  'or point VK_ICD_FILENAMES at another ICD. XDG_RUNTIME_DIR must be set (any writable folder).';

let gpuPromise: Promise<GPU> | undefined;

/** The Node GPU object, set up once per process. Environment must be set before Dawn loads. */
export function nodeGPU(): Promise<GPU> {
  gpuPromise ??= (async () => {
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    let mod: typeof import('webgpu');
    try {
      mod = await import('webgpu');
    } catch (e) {
      throw new WebGPUUnavailableError(`The webgpu package could not be loaded (${(e as Error).message})`, NODE_HINT);
    }
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    // A real driver first; when none answers, SwiftShader (the Vulkan loader reads the
    // variable each time an instance is created, so a second instance picks it up).
    const userChoseDriver = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
    if (userChoseDriver || !existsSync(SWIFTSHADER_ICD) || (await gpu.requestAdapter())) return gpu;
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return mod.create([]);
  })();
  return gpuPromise;
}

export async function acquireNodeDevice(): Promise<AcquiredDevice> {
  return acquireDevice(await nodeGPU(), NODE_HINT);
}
