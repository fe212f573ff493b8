// fetchModel (src/app/backend.ts) over real HTTP on loopback, against a server that breaks one file
// the ways a network does: a body cut short with the socket closed, a body that stops arriving, and
// one that arrives slowly. Each failure names the file; a slow download that moves is never cut.
import { describe, expect, it } from 'vitest';
import { fetchModel, ModelFileError } from '../../src/app/backend.ts';
import { useModelServer } from '../helpers/model-server.ts';

const MODEL = 'brown-mtp';
/** Short, so that a stall is seen quickly; the trickle below sends well within it. */
const STALL_MS = 400;

const server = useModelServer();

async function failure(load: Promise<unknown>): Promise<ModelFileError> {
  const e = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(ModelFileError);
  return e as ModelFileError;
}

describe('fetchModel against a broken server', () => {
  it.each(['.tokenizer.json', '.card.json', '.safetensors'])('a %s cut short (socket closed) is named', async (suffix) => {
    const file = `${MODEL}${suffix}`;
    server.faults.clear();
    server.faults.set(file, { kind: 'truncate' });
    const e = await failure(fetchModel(`${server.base}/${MODEL}`, fetch, { stallMs: 10_000 }));
    expect(e.message).toContain(`${server.base}/${file}: `);
    expect(e.message).toMatch(/broke off after \d+ bytes|cut short \(\d+ of \d+ bytes arrived\)/);
  });

  it('weights that stop arriving after 1 kB end at the stall deadline, naming the file and how far it got', async () => {
    server.faults.clear();
    server.faults.set(`${MODEL}.safetensors`, { kind: 'stall', afterBytes: 1024 });
    const seen: number[] = [];
    const t0 = performance.now();
    const e = await failure(
      fetchModel(`${server.base}/${MODEL}`, fetch, { stallMs: STALL_MS, onProgress: (received) => seen.push(received) }),
    );
    const ms = performance.now() - t0;
    expect(e.message).toBe(
      `${server.base}/${MODEL}.safetensors: the download stalled (no data for ${STALL_MS / 1000} s, after 1024 bytes)`,
    );
    expect(Math.max(...seen)).toBe(1024);
    expect(ms).toBeGreaterThanOrEqual(STALL_MS - 5);
    expect(ms).toBeLessThan(STALL_MS + 3000);
  });

  it('a download that trickles, slower overall than the deadline but never silent for it, completes', async () => {
    server.faults.clear();
    // 7.7 kB in 1 kB chunks 150 ms apart: over a second in all, with gaps well inside STALL_MS.
    server.faults.set(`${MODEL}.tokenizer.json`, { kind: 'trickle', chunkBytes: 1024, delayMs: 150 });
    const t0 = performance.now();
    const model = await fetchModel(`${server.base}/${MODEL}`, fetch, { stallMs: STALL_MS });
    expect(performance.now() - t0).toBeGreaterThan(2 * STALL_MS);
    expect(model.tokenizer.decode(model.tokenizer.encode('the trickle arrived'))).toBe('the trickle arrived');
  });

  it('an abort from outside (another model chosen) ends the download as an abort, not as a stall', async () => {
    server.faults.clear();
    server.faults.set(`${MODEL}.safetensors`, { kind: 'stall', afterBytes: 1024 });
    const outer = new AbortController();
    const load = fetchModel(`${server.base}/${MODEL}`, fetch, {
      stallMs: 10_000,
      signal: outer.signal,
      onProgress: (received) => received > 0 && outer.abort(),
    });
    const e = await failure(load);
    expect(e.message).not.toContain('stalled');
    expect(outer.signal.aborted).toBe(true);
  });
});
