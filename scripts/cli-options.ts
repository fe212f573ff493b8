// What the command-line tools share about their options, their user's mistakes and their files. A
// mistake (a bad option value, a missing or corrupt file, an unwritable --json path) is a UsageError:
// the tool prints its one-line message and exits with status 2, no stack trace. A write that fails
// after the run (a full disk) is an OutputError: one line, exit status 1. Number options are
// checked against the one table of run options (src/decode/run-options.ts), as the browser bench's
// query and the kiosk's address are: "--name must be ...".
//
// Signals: SIGINT and SIGTERM stop a tool (runCli): what it started is closed (closeOnSignal) and it
// exits with 128 + the signal's number (130, 143), whichever way the exit then comes (Vite's and
// Playwright's own handlers, an error of the work cut short). Handlers run only between turns of the
// event loop, so a tool never blocks it for long (bounded reads, a turn between units of CPU work).
// package.json runs each tool with `exec`: npm forwards a signal to its child, and a `sh -c` child
// died of it and left the tool running as an orphan.
import { parseDraftVocab, type DraftVocabChoice } from '../src/bench/bench-query.ts';
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OptionError, parseOption, parseTreeRows, type OptionSpec, type RunOptionName } from '../src/decode/run-options.ts';
import { modelEntry } from '../src/model/catalogue.ts';
import { PromptFileError, promptLines } from '../src/model/prompt-file.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A result the tool could not write (writeFileAtomically): the run happened, its output did not. */
class OutputError extends Error {
  override readonly name = 'OutputError';
}

/** How long closing may take on a signal before the tool exits anyway (a browser that no longer answers). */
const CLOSE_DEADLINE_MS = 3_000;
const closers: (() => Promise<unknown>)[] = [];
/** The signal stopping the tool, once one came. */
let stoppedBy: NodeJS.Signals | undefined;
const signalStatus = (signal: NodeJS.Signals) => 128 + osConstants.signals[signal];

/** Has a signal close what the tool started (a browser, a server) before the tool exits. */
export function closeOnSignal(close: () => Promise<unknown>): void {
  closers.push(close);
}

function stop(signal: NodeJS.Signals): void {
  if (stoppedBy) return;
  stoppedBy = signal;
  // A timer that is not unref'd: it also keeps the process alive until the closers are done.
  setTimeout(() => process.exit(signalStatus(signal)), CLOSE_DEADLINE_MS);
  void Promise.allSettled(closers.map((close) => close())).then(() => process.exit(signalStatus(signal)));
}

/**
 * Runs a tool's main: a UsageError becomes one line on stderr and exit 2, an OutputError one line
 * and exit 1. SIGINT and SIGTERM stop it (above).
 */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
  process.on('exit', () => {
    if (stoppedBy) process.exitCode = signalStatus(stoppedBy);
  });
  try {
    await main();
  } catch (e) {
    // Work cut short by the signal (a page closed under it) fails: stop() exits, with the signal's status.
    if (stoppedBy) return;
    if (e instanceof UsageError || e instanceof OutputError) {
      console.error(e.message);
      process.exit(e instanceof UsageError ? 2 : 1);
    }
    throw e;
  }
}

/** parseArgs, with an unknown option or a missing value as a UsageError. */
export function parseToolArgs<T extends NonNullable<ParseArgsConfig['options']>>(options: T, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ options, allowPositionals, args: process.argv.slice(2).filter((a) => a !== '--') });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (usage: ${usage})`);
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

/** `--draft-vocab`'s value (bench-query.ts parseDraftVocab): model or all. */
export function draftVocabOption(value: string): DraftVocabChoice {
  return asUsage(() => parseDraftVocab(value));
}

/** A run option's OptionError as the tool's UsageError, named as its flag. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(`--${e.message}`);
    throw e;
  }
}

/** The most a tool reads of a text file it is given: more than any prompt file or corpus file it is meant for. */
export const TEXT_FILE_LIMIT = 8 * 2 ** 20;

/** An fs error as the few words a message needs ("not found", or its code). */
function fsWhy(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? (e as Error).message})`;
}

/**
 * The text of a file the user names with `flag` (--prompts, --text): a regular file of at most
 * TEXT_FILE_LIMIT bytes of strict UTF-8, without NUL bytes unless `allowNul`. Anything else is a
 * UsageError naming the flag, the file and why. The read is bounded whatever the file is: a device
 * (/dev/zero) or a FIFO is refused by its fstat, and no more than the limit + 1 bytes are read of a
 * file whose size the fstat understates (one growing, one in /proc).
 */
export function readTextFile(flag: string, path: string, { allowNul = false } = {}): string {
  const fail = (why: string) => new UsageError(`${flag} ${path}: ${why}`);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for one, forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw fail(fsWhy(e));
  }
  const tooBig = fail(`larger than ${TEXT_FILE_LIMIT / 2 ** 20} MiB (${TEXT_FILE_LIMIT} bytes)`);
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw fail('is a folder');
    if (!stat.isFile()) throw fail('not a regular file');
    if (stat.size > TEXT_FILE_LIMIT) throw tooBig;
    bytes = Buffer.allocUnsafe(TEXT_FILE_LIMIT + 1);
    let length = 0;
    while (length < bytes.length) {
      const got = readSync(fd, bytes, length, bytes.length - length, null);
      if (got === 0) break;
      length += got;
    }
    if (length > TEXT_FILE_LIMIT) throw tooBig;
    bytes = bytes.subarray(0, length);
  } catch (e) {
    throw e instanceof UsageError ? e : fail(fsWhy(e));
  } finally {
    closeSync(fd);
  }
  // Decode up to the first NUL: a decoding error before it is the first fault, else the NUL is.
  const nul = allowNul ? -1 : bytes.indexOf(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(nul < 0 ? bytes : bytes.subarray(0, nul));
  } catch {
    const at = validUtf8Prefix(bytes.subarray(0, nul < 0 ? bytes.length : nul));
    throw fail(`not UTF-8 text (${at === bytes.length ? 'a character cut short at the end' : `invalid byte at offset ${at}`})`);
  }
  if (nul >= 0) throw fail(`not UTF-8 text (a NUL byte at offset ${nul})`);
  return text;
}

/**
 * The length of the longest prefix of `bytes` that is UTF-8 so far (a character may be cut at its
 * end), i.e. the offset of the byte where strict decoding fails: bisection, since every prefix of
 * such a prefix is one too. Only on the error path (TextDecoder says that, not where).
 */
function validUtf8Prefix(bytes: Uint8Array): number {
  const valid = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let [lo, hi] = [0, bytes.length];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (valid(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The prompts of --prompts FILE, or of the model's own prompt file when none is given. */
export function readPrompts(file: string | undefined, model: string): string[] {
  let prompts: string[];
  const where = file ?? `the prompts of ${model}`;
  const text = file === undefined ? modelEntry(model)!.benchPrompts : readTextFile('--prompts', file);
  try {
    prompts = promptLines(text);
  } catch (e) {
    if (e instanceof PromptFileError) throw new UsageError(`--prompts ${where}: ${e.message}`);
    throw e;
  }
  if (prompts.length === 0) throw new UsageError(`--prompts ${where}: no prompts (one a line)`);
  return prompts;
}

/**
 * Checks before a run that its --json file can be written: an existing regular file, or a new name
 * in a folder that exists and is writable (writeFileAtomically writes a temporary file beside it).
 * A device (/dev/full, /dev/null), a folder or a FIFO is refused here, not after the whole run.
 */
export function checkJsonPath(path: string | undefined): void {
  if (path === undefined) return;
  const fail = (why: string) => new UsageError(`--json ${path}: ${why}`);
  try {
    const existing = statSync(path, { throwIfNoEntry: false });
    if (existing?.isDirectory()) throw fail('is a folder');
    if (existing && !existing.isFile()) throw fail('not a regular file');
    const dir = dirname(existing ? realpathSync(path) : resolve(path));
    const folder = statSync(dir, { throwIfNoEntry: false });
    if (!folder) throw fail(`the folder ${dir} does not exist`);
    if (!folder.isDirectory()) throw fail(`${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
    if (existing) accessSync(path, constants.W_OK);
  } catch (e) {
    throw e instanceof UsageError ? e : fail(`cannot write there (${(e as NodeJS.ErrnoException).code})`);
  }
}

/** Writes a --json result (checked by checkJsonPath before the run) with writeFileAtomically. */
export function writeJsonFile(path: string, text: string): void {
  writeFileAtomically(`--json ${path}`, path, text);
}

/**
 * Writes `text` to `path` whole or not at all: into a temporary file in the same folder, synced (a
 * full disk may only say so then), then renamed over the file (a symbolic link's target), so that a
 * failure leaves the old file as it was and no partial one. A failure is an OutputError: one line
 * naming the file (as `name`) and the cause; the temporary file is removed.
 */
export function writeFileAtomically(name: string, path: string, text: string): void {
  let target = resolve(path);
  try {
    target = realpathSync(path);
  } catch {
    // A new file: written where it is named.
  }
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx');
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
  } catch (e) {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(temporary, { force: true });
    } catch {
      // The cause to report is the first error, not this one.
    }
    // Node's message is "CODE: what, syscall 'path'": the path is ours, the syscall noise.
    throw new OutputError(`${name}: not written (${(e as Error).message.split(', ')[0]})`);
  }
}
