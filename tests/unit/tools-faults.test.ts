// What the tools do with a damaged model, a prompt too long for the context and files that are not
// what they should be, without a GPU: the model reader names the file at fault (a UsageError, exit 2
// in a tool), the benchmark's core cuts a long prompt as the page does instead of throwing, a text
// file is read bounded and checked, and a --json file is written whole or not at all.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, readModel } from '../../scripts/node-model.ts';
import { checkJsonPath, readTextFile, TEXT_FILE_LIMIT, UsageError, writeJsonFile } from '../../scripts/cli-options.ts';
import { runBench } from '../../src/bench/bench.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { seededBytes } from '../helpers/random-bytes.ts';

const NAME = 'brown-mtp';

function damagedCopy(file: string, bytes: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'models-')) + '/';
  for (const suffix of ['.safetensors', '.tokenizer.json', '.card.json'])
    copyFileSync(`${MODELS_DIR}${NAME}${suffix}`, `${dir}${NAME}${suffix}`);
  writeFileSync(`${dir}${NAME}${file}`, bytes);
  return dir;
}

describe('readModel', () => {
  it.each([
    ['.safetensors', new Uint8Array([1, 2, 3]), /^public\/models\/brown-mtp\.safetensors: /],
    ['.safetensors', new Uint8Array(64), /^public\/models\/brown-mtp\.safetensors: /],
    ['.tokenizer.json', '{"type": "byte-bpe"', /^public\/models\/brown-mtp\.tokenizer\.json: /],
    ['.card.json', '{}', /^public\/models\/brown-mtp\.card\.json: decoding is missing/],
  ])('a damaged %s is a UsageError naming it', (file, bytes, want) => {
    const dir = damagedCopy(file, bytes);
    expect(() => readModel(NAME, dir)).toThrow(UsageError);
    expect(() => readModel(NAME, dir)).toThrow(want);
  });

  it('a missing file is "not found", by name', () => {
    expect(() => readModel(NAME, mkdtempSync(join(tmpdir(), 'empty-')) + '/')).toThrow('public/models/brown-mtp.safetensors: not found');
  });
});

describe('runBench with a prompt longer than the context', () => {
  it('keeps its tail, as the page does, and says so', async () => {
    const { weights, tokenizer } = readModel(NAME);
    const engine = new CpuEngine(new ReferenceModel(weights));
    const long = 'The committee met again and nothing was decided. '.repeat(80);
    const log: string[] = [];
    const report = await runBench(engine, tokenizer, NAME, {
      runtime: 'Node',
      prompts: [long],
      tokens: 4,
      depth: 1,
      runs: 1,
      log: (l) => log.push(l),
    });
    expect(report.outputs_identical).toBe(true);
    expect(log.join('\n')).toMatch(/note: .*kept its last \d+ tokens/);
  });
});

// The files a user names: read bounded and checked (readTextFile), written whole or not at all
// (checkJsonPath before the run, writeFileAtomically after it).
describe('readTextFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'text-'));
  const file = (name: string, bytes: Uint8Array | string) => (writeFileSync(join(dir, name), bytes), join(dir, name));
  const read = (path: string, allowNul = false) => readTextFile('--prompts', path, { allowNul });

  it('refuses a device, a FIFO and a folder without reading them (an endless read before)', () => {
    expect(() => read('/dev/zero')).toThrow(/^--prompts \/dev\/zero: not a regular file$/);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO that has no writer would block this test for good; the refusal is at once.
    expect(() => read(fifo)).toThrow(new UsageError(`--prompts ${fifo}: not a regular file`));
    expect(() => read(dir)).toThrow(new UsageError(`--prompts ${dir}: is a folder`));
    expect(() => read(join(dir, 'absent.txt'))).toThrow(/: not found$/);
  });

  it('takes up to TEXT_FILE_LIMIT bytes, and refuses one more', () => {
    expect(read(file('limit.txt', 'a'.repeat(TEXT_FILE_LIMIT)))).toHaveLength(TEXT_FILE_LIMIT);
    const big = file('big.txt', '');
    truncateSync(big, TEXT_FILE_LIMIT + 1); // sparse: the size is refused before any read
    expect(() => read(big)).toThrow(new RegExp(`: larger than \\d+ MiB \\(${TEXT_FILE_LIMIT} bytes\\)$`));
  });

  it('reads past a size that fstat understates (a /proc file says 0)', () => {
    expect(read('/proc/self/status')).toMatch(/^Name:/);
  });

  it('refuses invalid UTF-8 and NUL, naming the offset of the first fault', () => {
    const prefix = 'a prompt, then été, then ';
    const at = Buffer.byteLength(prefix);
    expect(() => read(file('bad.txt', Buffer.concat([Buffer.from(prefix), Buffer.from([0xff]), Buffer.from(' more\n')])))).toThrow(
      new UsageError(`--prompts ${dir}/bad.txt: not UTF-8 text (invalid byte at offset ${at})`),
    );
    expect(() => read(file('nul.txt', `${prefix}\u0000 more\n`))).toThrow(
      new UsageError(`--prompts ${dir}/nul.txt: not UTF-8 text (a NUL byte at offset ${at})`),
    );
    expect(() => read(file('cut.txt', Buffer.from('é').subarray(0, 1)))).toThrow(/: not UTF-8 text \(a character cut short at the end\)$/);
    // eval's corpus files separate documents with NUL: allowed there.
    expect(read(`${dir}/nul.txt`, true)).toBe(`${prefix}\u0000 more\n`);
  });

  it('refuses binary files: seeded random bytes and a real .safetensors', () => {
    expect(() => read(file('random.bin', seededBytes(200_000, 12345)))).toThrow(
      /random\.bin: not UTF-8 text \((invalid byte|a NUL byte) at offset \d+\)$/,
    );
    expect(() => read(`${MODELS_DIR}${NAME}.safetensors`)).toThrow(/brown-mtp\.safetensors: not UTF-8 text \(/);
  });
});

const EVAL = 'scripts/eval.ts';

describe('eval --text', () => {
  it('takes one long document (megabytes, under TEXT_FILE_LIMIT): it overflowed the stack before', () => {
    const readme = readFileSync('README.md', 'utf8');
    const text = join(mkdtempSync(join(tmpdir(), 'eval-')), 'long.txt');
    writeFileSync(text, readme.repeat(Math.floor(TEXT_FILE_LIMIT / 2 / Buffer.byteLength(readme))));
    const args = ['--model', NAME, '--text', text, '--max-tokens', '8'];
    const r = spawnSync('node_modules/.bin/vite-node', [EVAL, '--', ...args], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tokens +8$/m);
  }, 180_000);
});

describe('--json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'json-'));

  it('checkJsonPath refuses a device, a folder and a FIFO, and takes a new or existing file', () => {
    for (const device of ['/dev/full', '/dev/null'])
      expect(() => checkJsonPath(device)).toThrow(new UsageError(`--json ${device}: not a regular file`));
    expect(() => checkJsonPath(dir)).toThrow(new UsageError(`--json ${dir}: is a folder`));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => checkJsonPath(fifo)).toThrow(/: not a regular file$/);
    expect(() => checkJsonPath(join(dir, 'new.json'))).not.toThrow();
    writeFileSync(join(dir, 'old.json'), '{}');
    expect(() => checkJsonPath(join(dir, 'old.json'))).not.toThrow();
  });

  it('writeJsonFile replaces the file whole, through a symbolic link, and leaves nothing beside it', () => {
    const sub = mkdtempSync(join(dir, 'w-'));
    writeFileSync(join(sub, 'out.json'), 'old, longer than the new text');
    symlinkSync('out.json', join(sub, 'link.json'));
    writeJsonFile(join(sub, 'link.json'), '{"new": true}\n');
    expect(readFileSync(join(sub, 'out.json'), 'utf8')).toBe('{"new": true}\n');
    expect(readdirSync(sub).sort()).toEqual(['link.json', 'out.json']);
  });

  // A full disk, without root: a 4 KiB tmpfs, filled, in a user and mount namespace of the tool's own.
  const canUnshare = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']).status === 0;
  it.skipIf(!canUnshare)(
    'a write that fails on a full disk is one line and exit 1, and leaves the old file as it was',
    () => {
      const full = mkdtempSync(join(tmpdir(), 'full-'));
      const script = [
        'mount -t tmpfs -o size=4k tmpfs "$1" || exit 99',
        'printf old > "$1/out.json"; head -c 65536 /dev/zero > "$1/fill" 2>/dev/null',
        'node_modules/.bin/vite-node scripts/eval.ts -- --model brown-mtp --text README.md --max-tokens 8 --json "$1/out.json" >/dev/null',
        'code=$?; echo "files: $(ls -A "$1" | tr "\\n" " ")"; echo "out.json: $(cat "$1/out.json")"; exit $code',
      ].join('\n');
      const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', full], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      const lines = r.stderr.split(/[\r\n]/).filter((l) => l.trim() !== '' && !/^\d+ \/ \d+ tokens$/.test(l));
      expect(lines, r.stderr).toEqual([`--json ${full}/out.json: not written (ENOSPC: no space left on device)`]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('files: fill out.json \n');
      expect(r.stdout).toContain('out.json: old\n');
    },
    180_000,
  );
});
