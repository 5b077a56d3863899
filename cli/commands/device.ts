import type { CliCommand } from '../command.ts';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';

export const command: CliCommand = {
  name: 'device',
  summary: 'Print the Node WebGPU adapter (Dawn) as JSON: adapter info, limits, features',
  usage: 'Usage: lantern device\n\nPrints {adapter, limits, features, allFeatures} for the adapter Node WebGPU gives this machine.',
  async run() {
    const { device, report } = await acquireNodeDevice();
    console.log(JSON.stringify(report, null, 2));
    device.destroy();
    return 0;
  },
};
