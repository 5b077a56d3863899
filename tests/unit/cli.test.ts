import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = new URL('../../cli/lantern.mjs', import.meta.url).pathname;

describe('lantern CLI', () => {
  it('lists its commands with --help', async () => {
    const { stdout } = await run('node', [CLI, '--help']);
    expect(stdout).toContain('Usage: lantern <command>');
    expect(stdout).toMatch(/^\s+device\s+/m);
  });

  it('rejects an unknown command with exit code 2', async () => {
    await expect(run('node', [CLI, 'no-such-command'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command') });
  });

  it('answers an unknown option of any command with its usage and exit code 2', async () => {
    await expect(run('node', [CLI, 'demo-data', '--bogus'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Unknown option '--bogus'[\s\S]*Usage: lantern demo-data/),
    });
  });
});
