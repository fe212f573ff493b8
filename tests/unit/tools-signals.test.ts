// SIGTERM or SIGINT to `npm run TOOL` ends the whole tree promptly: npm, the tool, and what the tool
// started (bench:browser's Chromium). Before, npm ran the tool under `sh -c`, which died of the
// forwarded signal and left the tool (and its Chromium) running as an orphan; eval's synchronous
// loop never let the tool see a SIGTERM at all. Spawned as a user runs them, through npm.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** From signal to no process of the tree left. */
const DEADLINE_MS = 5_000;

/** A process, by pid and start time (a pid may be reused), or undefined once it is gone or a zombie. */
function stat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return fields[0] === 'Z' ? undefined : { ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/** Adds every descendant of `root` now running to `tree` (pid -> start time). */
function collect(root: number, tree: Map<number, string>): void {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  tree.set(root, tree.get(root) ?? stat(root)?.start ?? '');
  for (let grew = true; grew;) {
    grew = false;
    for (const pid of all) {
      const s = stat(pid);
      if (s && !tree.has(pid) && tree.has(s.ppid)) {
        tree.set(pid, s.start);
        grew = true;
      }
    }
  }
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

const alive = (tree: Map<number, string>) => [...tree].filter(([pid, start]) => stat(pid)?.start === start).map(([pid]) => pid);

/**
 * Runs `npm run tool -- args`, waits until `started` (given all output so far and the tree) holds,
 * sends `signal` to npm, and says how it ended and what of its tree is left after DEADLINE_MS.
 */
async function stop(tool: string, args: string[], signal: NodeJS.Signals, started: (output: string, tree: Map<number, string>) => boolean) {
  const npm = spawn('npm', ['run', tool, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.on('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  const tree = new Map<number, string>();
  try {
    for (;;) {
      collect(npm.pid!, tree);
      if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm run ${tool} ended before the signal:\n${output}`);
      if (started(output, tree)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    collect(npm.pid!, tree);
    const sentAt = Date.now();
    npm.kill(signal);
    const exit = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, DEADLINE_MS))]);
    while (alive(tree).length > 0 && Date.now() - sentAt < DEADLINE_MS) await new Promise((r) => setTimeout(r, 50));
    return { exit, left: alive(tree), output };
  } finally {
    // Whatever the outcome, leave nothing running (by pid, only the processes of this tree).
    for (const pid of alive(tree)) process.kill(pid, 'SIGKILL');
  }
}

/** An exit that says it was stopped by `signal`: killed by it, or the shell's 128 + its number. */
const stoppedBy = (signal: NodeJS.Signals) => [`signal ${signal}`, `code ${128 + constants.signals[signal]}`];
const how = (exit: { code: number | null; signal: NodeJS.Signals | null } | undefined) =>
  exit === undefined ? 'still running' : exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;

describe('a signal to npm run TOOL ends its whole tree', () => {
  // A long text, 20 documents of README.md separated by NUL as in the corpus files, well under the
  // text file limit: eval would take many minutes.
  const dir = mkdtempSync(join(tmpdir(), 'signals-'));
  const text = join(dir, 'long.txt');
  writeFileSync(text, Array(20).fill(readFileSync('README.md', 'utf8')).join('\u0000'));

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'eval, %s while it evaluates',
    async (signal) => {
      // Started: it has written its progress after the first window.
      const { exit, left, output } = await stop('eval', ['--model', 'brown-mtp', '--text', text], signal, (out) =>
        /\d+ \/ \d+ tokens/.test(out),
      );
      expect(left, output).toEqual([]);
      expect(stoppedBy(signal)).toContain(how(exit));
    },
    120_000,
  );

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'bench:browser, %s once Chromium runs the benchmark',
    async (signal) => {
      // Started: Chromium is in the tree and the page has logged (the benchmark's first line).
      const chromium = (tree: Map<number, string>) => [...tree.keys()].some((pid) => cmdline(pid).includes('chromium'));
      const { exit, left, output } = await stop(
        'bench:browser',
        ['--model', 'brown-mtp', '--runs', '3'],
        signal,
        (out, t) => chromium(t) && /adapter/.test(out),
      );
      expect(left, output).toEqual([]);
      expect(stoppedBy(signal)).toContain(how(exit));
    },
    180_000,
  );
});
