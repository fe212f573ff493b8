// The command-line tools, spawned as a user runs them: every user's mistake (a bad value of each
// numeric option, checked against the one table of src/decode/run-options.ts, an unknown model or
// option, a missing file, a file that is not text or not a file, an unwritable --json path) gives one
// line naming the problem and exit status 2, before any GPU or browser work starts.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEXT_FILE_LIMIT } from '../../scripts/cli-options.ts';
import { seededBytes } from '../helpers/random-bytes.ts';

const TOOLS: Record<string, string> = {
  bench: 'scripts/bench.ts',
  'bench:browser': 'scripts/bench-browser.ts',
  profile: 'scripts/profile.ts',
  eval: 'scripts/eval.ts',
  card: 'scripts/card.ts',
};

function run(tool: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node_modules/.bin/vite-node', [TOOLS[tool], '--', ...args], { timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

// Files that are not text, or not files: each was read forever, or taken as text, before.
const FILES = mkdtempSync(join(tmpdir(), 'cli-'));
const BINARY = join(FILES, 'x.bin');
writeFileSync(BINARY, seededBytes(200_000, 1));
const BIG = join(FILES, 'big.txt');
writeFileSync(BIG, '');
truncateSync(BIG, TEXT_FILE_LIMIT + 1);
const FIFO = join(FILES, 'fifo');
execFileSync('mkfifo', [FIFO]);
const esc = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const BENCH_CASES: [string[], RegExp][] = [
  [['--prompts', '/dev/zero'], /^--prompts \/dev\/zero: not a regular file$/],
  [['--prompts', BINARY], new RegExp(`^--prompts ${esc(BINARY)}: not UTF-8 text \\((invalid byte|a NUL byte) at offset \\d+\\)$`)],
  [['--json', '/dev/full'], /^--json \/dev\/full: not a regular file$/],
  [['--tokens', 'abc'], /^--tokens must be an integer in 2\.\.\d+, got "abc"$/],
  [['--tokens', '100000'], /^--tokens must be an integer in 2\.\.\d+/],
  [['--depth', '0'], /^--depth must be an integer in 1\.\.\d+, got "0"$/],
  [['--runs', '2.5'], /^--runs must be an integer in 1\.\.100/],
  [['--tree', '17'], /^--tree must be an integer in 0\.\.16, got "17"$/],
  [['--tree', '1'], /^--tree must be 0 \(the chain\) or 2\.\. verify rows/],
  [['--tree', '8', '--temperature', '0.5'], /^--tree: draft trees are greedy only/],
  [['--temperature', 'hot'], /^--temperature must be a number in 0\.\.2, got "hot"$/],
  [['--temperature', '3'], /^--temperature must be a number in 0\.\.2, got "3"$/],
  [['--top-p', '1.5'], /^--top-p must be in \(0, 1\]/],
  [['--seed', '1e400'], /^--seed must be an integer/],
  [['--no-repeat-ngram=-1'], /^--no-repeat-ngram must be an integer in 0\.\.16, got "-1"$/],
  [['--no-repeat-ngram', '17'], /^--no-repeat-ngram must be an integer in 0\.\.16/],
  [['--draft-vocab', 'none'], /^--draft-vocab must be "model" or "all", got "none"$/],
  [['--model', '../../etc/passwd'], /^--model: unknown model "\.\.\/\.\.\/etc\/passwd": expected one of /],
  [['--prompts', 'no/such/file.txt'], /^--prompts no\/such\/file\.txt: not found$/],
  [['--json', 'no/such/folder/out.json'], /^--json no\/such\/folder\/out\.json: the folder .* does not exist$/],
  [['--frobnicate'], /^Unknown option '--frobnicate'.*\(usage: npm run bench/],
];

const CASES: [string, string[], RegExp][] = [
  ...BENCH_CASES.map(([args, want]) => ['bench', ['--model', 'brown-mtp', ...args], want] as [string, string[], RegExp]),
  ...BENCH_CASES.map(([args, want]) => ['bench:browser', ['--model', 'brown-mtp', ...args], want] as [string, string[], RegExp]),
  ['bench', ['--model', 'brown-mtp', '--prompts', FIFO], new RegExp(`^--prompts ${esc(FIFO)}: not a regular file$`)],
  [
    'bench',
    ['--model', 'brown-mtp', '--prompts', BIG],
    new RegExp(`^--prompts ${esc(BIG)}: larger than \\d+ MiB \\(${TEXT_FILE_LIMIT} bytes\\)$`),
  ],
  [
    'bench',
    ['--model', 'brown-mtp', '--prompts', 'public/models/brown-mtp.safetensors'],
    /^--prompts public\/models\/brown-mtp\.safetensors: not UTF-8 text \(a NUL byte at offset \d+\)$/,
  ],
  ['bench', ['--model', 'brown-mtp', '--json', '/dev/null'], /^--json \/dev\/null: not a regular file$/],
  ['bench', ['--model', 'brown-mtp', '--json', FILES], new RegExp(`^--json ${esc(FILES)}: is a folder$`)],
  ['bench', ['--model', 'brown-mtp', '--json', FIFO], new RegExp(`^--json ${esc(FIFO)}: not a regular file$`)],
  ['profile', ['--model', 'brown-mtp', '--json', '/dev/full'], /^--json \/dev\/full: not a regular file$/],
  ['eval', ['--model', 'brown-mtp', '--text', '/dev/zero'], /^--text \/dev\/zero: not a regular file$/],
  [
    'eval',
    ['--model', 'brown-mtp', '--text', BINARY],
    new RegExp(`^--text ${esc(BINARY)}: not UTF-8 text \\(invalid byte at offset \\d+\\)$`),
  ],
  ['eval', ['--model', 'brown-mtp', '--text', 'README.md', '--json', '/dev/full'], /^--json \/dev\/full: not a regular file$/],
  ['profile', ['--model', 'brown-mtp', '--depth', '9'], /^--depth must be an integer in 1\.\.2, got "9"$/],
  ['profile', ['--model', 'brown-mtp', '--steps', 'many'], /^--steps must be an integer in 1\.\.1000, got "many"$/],
  ['profile', ['--model', 'nope'], /^--model: unknown model "nope"/],
  ['profile', ['--model', 'brown-mtp', '--tree', 'big'], /^--tree must be an integer in 0\.\.16, got "big"$/],
  ['eval', ['--model', 'brown-mtp', '--text', 'README.md', '--max-tokens', 'abc'], /^--max-tokens must be an integer in 2\.\./],
  ['eval', ['--model', 'brown-mtp', '--text', 'no/such.txt'], /^--text no\/such\.txt: not found$/],
  ['eval', ['--model', 'brown-mtp'], /^--text is required/],
  ['eval', ['--model', 'brown-mtp', '--text', 'README.md', '--json', 'no/such/out.json'], /^--json no\/such\/out\.json: the folder/],
  ['card', ['--model', 'brown-mtp', '--tokens', '0'], /^--tokens must be an integer in 2\.\./],
  ['card', ['--model', 'brown-mtp', '--no-repeat-ngram', 'x'], /^--no-repeat-ngram must be an integer in 0\.\.16/],
];

describe('command-line tools: a mistake is one line and exit status 2', () => {
  // Two at a time: each is a vite-node process of a few seconds.
  const results = new Map<string, Promise<{ code: number | null; stderr: string }>>();
  let queue = Promise.resolve() as Promise<unknown>;
  const lanes = [queue, queue];
  CASES.forEach(([tool, args], i) => {
    const key = `${tool} ${args.join(' ')}`;
    const lane = i % 2;
    const p = lanes[lane].then(() => run(tool, args));
    lanes[lane] = p;
    results.set(key, p);
  });
  queue = Promise.all(lanes);

  for (const [tool, args, want] of CASES) {
    const key = `${tool} ${args.join(' ')}`;
    it(
      key,
      async () => {
        const { code, stderr } = await results.get(key)!;
        const lines = stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('(node:') && !l.includes('--trace-warnings'));
        expect(lines, stderr).toHaveLength(1);
        expect(lines[0]).toMatch(want);
        expect(code).toBe(2);
      },
      180_000,
    );
  }
});
