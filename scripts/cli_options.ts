// What the command-line tools share about their options and their user's mistakes. A mistake (a
// bad option value, a missing or corrupt file, an unwritable --json path) is a UsageError: the
// tool prints its one-line message and exits with status 2, no stack trace. Number options are
// checked against the one table of run options (src/decode/run-options.ts), as the browser bench's
// query and the kiosk's address are: "--name must be ...".
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OptionError, parseOption, parseTreeRows, type OptionSpec, type RunOptionName } from '../src/decode/run-options.ts';
import { modelEntry } from '../src/model/catalogue.ts';
import { PromptFileError, promptLines } from '../src/model/prompt-file.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs a tool's main: a UsageError (or a bad query value) becomes one line on stderr and exit 2. */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

/** parseArgs, with an unknown option or a missing value as a UsageError. */
export function parseToolArgs<T extends NonNullable<ParseArgsConfig['options']>>(options: T, usage: string) {
  try {
    return parseArgs({ options, allowPositionals: false, args: process.argv.slice(2).filter((a) => a !== '--') });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]} (usage: ${usage})`);
  }
}

/** `--name`'s value, checked against its run option (src/decode/run-options.ts), or `spec` (narrowed by the model). */
export function option(name: RunOptionName, value: string, spec?: OptionSpec): number {
  return asUsage(() => parseOption(name, value, spec));
}

/** `--tree`'s value (run-options.ts parseTreeRows): 0 or 2.. verify rows, greedy runs only. */
export function treeOption(value: string, sampling: boolean): number {
  return asUsage(() => parseTreeRows(value, sampling));
}

/** A run option's OptionError as the tool's UsageError, named as its flag. */
function asUsage(parse: () => number): number {
  try {
    return parse();
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(`--${e.message}`);
    throw e;
  }
}

/** The prompts of --prompts FILE, or of the model's own prompt file when none is given. */
export function readPrompts(file: string | undefined, model: string): string[] {
  let prompts: string[];
  const where = file ?? `the prompts of ${model}`;
  try {
    prompts = promptLines(file === undefined ? modelEntry(model)!.benchPrompts : readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof PromptFileError) throw new UsageError(`--prompts ${where}: ${e.message}`);
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--prompts ${where}: ${code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  if (prompts.length === 0) throw new UsageError(`--prompts ${where}: no prompts (one a line)`);
  return prompts;
}

/** Checks before a run that its --json file can be written (its folder exists and is writable). */
export function checkJsonPath(path: string | undefined): void {
  if (path === undefined) return;
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--json ${path}: ${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--json ${path}: is a folder`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--json ${path}: ${code === 'ENOENT' ? `the folder ${dir} does not exist` : `cannot write there (${code})`}`);
  }
}
