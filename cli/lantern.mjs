#!/usr/bin/env node
// The `lantern` command: TypeScript sources run through tsx, so the CLI and the studio share code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
