import { readdirSync } from 'node:fs';
import { UsageError, type CliCommand } from './command.ts';

async function loadCommands(): Promise<Map<string, CliCommand>> {
  const dir = new URL('./commands/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const commands = new Map<string, CliCommand>();
  for (const file of files) {
    const mod = (await import(new URL(file, dir).href)) as { command?: CliCommand };
    if (mod.command) commands.set(mod.command.name, mod.command);
  }
  return commands;
}

function help(commands: Map<string, CliCommand>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['Usage: lantern <command> [options]', '', 'Lantern Studio from the command line: the same experiments as the studio, headless.', '', 'Commands:', ...lines, '', 'Run `lantern <command> --help` for a command\'s options.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help(commands));
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    console.error(`lantern: unknown command "${name}".\n\n${help(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    const parseArgsError = String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (e instanceof UsageError || parseArgsError) {
      console.error(`lantern ${name}: ${(e as Error).message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`lantern ${name}: ${(e as Error).message}`);
    if (process.env.LANTERN_DEBUG) console.error(e);
    return 1;
  }
}
