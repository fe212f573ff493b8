// Model files kept between visits (src/app/model-store.ts), and fetchModel reading them: a kept copy
// is used only while its SHA-256 is the catalogue's, a damaged one is dropped and downloaded again,
// and a store that cannot keep anything never makes a load fail. The catalogue's hashes are the
// shipped files'.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchModel } from '../../src/app/backend.ts';
import { cacheStore, MODEL_CACHE, sha256Hex } from '../../src/app/model-store.ts';
import { MODELS, modelEntry } from '../../src/model/catalogue.ts';
import { MODELS_DIR } from '../../scripts/node-model.ts';
import { MemoryCaches } from '../helpers/memory-caches.ts';
import { useModelServer } from '../helpers/model-server.ts';

const fileHash = (file: string) =>
  createHash('sha256')
    .update(readFileSync(`${MODELS_DIR}${file}`))
    .digest('hex');

describe('the catalogue', () => {
  it("records each shipped file's SHA-256 (a retrained model must update it)", () => {
    for (const m of MODELS)
      expect(m.sha256, m.name).toEqual({
        weights: fileHash(`${m.name}.safetensors`),
        tokenizer: fileHash(`${m.name}.tokenizer.json`),
        card: fileHash(`${m.name}.card.json`),
      });
  });
});

describe('cacheStore', () => {
  const bytes = new TextEncoder().encode('{"a": 1}');
  let hash: string;
  beforeAll(async () => {
    hash = await sha256Hex(bytes);
    expect(hash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('keeps a file and gives it back while its hash holds', async () => {
    const caches = new MemoryCaches();
    const store = cacheStore(caches.storage);
    expect(await store.read('/m.json', hash)).toBeUndefined();
    await store.write('/m.json', hash, bytes);
    expect(await store.read('/m.json', hash)).toEqual(bytes);
    expect(store.takeNote()).toBeUndefined();
  });

  it('drops a damaged copy, says so, and never returns it', async () => {
    const caches = new MemoryCaches();
    const store = cacheStore(caches.storage);
    await store.write('/m.json', hash, bytes);
    caches.caches.get(MODEL_CACHE)!.set('/m.json', new TextEncoder().encode('{"a": 2}'));
    expect(await store.read('/m.json', hash)).toBeUndefined();
    expect(caches.caches.get(MODEL_CACHE)!.has('/m.json')).toBe(false);
    expect(store.takeNote()).toMatch(/\/m\.json was stale or damaged: it was dropped and downloaded again/);
    expect(store.takeNote()).toBeUndefined();
  });

  it('does not keep bytes other than the expected ones', async () => {
    const caches = new MemoryCaches();
    const store = cacheStore(caches.storage);
    await store.write('/m.json', hash, new TextEncoder().encode('other'));
    expect(caches.caches.get(MODEL_CACHE)?.size ?? 0).toBe(0);
    expect(store.takeNote()).toMatch(/its SHA-256 differs/);
  });

  it('a quota refusal, or no Cache API at all, keeps nothing and says why, without failing', async () => {
    const caches = new MemoryCaches();
    caches.failPut = Object.assign(new Error('over quota'), { name: 'QuotaExceededError' });
    const store = cacheStore(caches.storage);
    await store.write('/m.json', hash, bytes);
    expect(store.takeNote()).toMatch(/refused the space \(quota\)/);
    const none = cacheStore(undefined);
    await none.write('/m.json', hash, bytes);
    expect(await none.read('/m.json', hash)).toBeUndefined();
    expect(none.takeNote()).toMatch(/no Cache API/);
  });

  it('clear forgets every kept file', async () => {
    const caches = new MemoryCaches();
    const store = cacheStore(caches.storage);
    await store.write('/m.json', hash, bytes);
    await store.clear();
    expect(await store.read('/m.json', hash)).toBeUndefined();
  });
});

describe('fetchModel with a store', () => {
  const server = useModelServer();

  it('downloads once, then loads from the kept copies with no request; a damaged copy is fetched again and replaced', async () => {
    const caches = new MemoryCaches();
    const store = cacheStore(caches.storage);
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(String(input));
      return fetch(input, init);
    };
    const load = () => fetchModel(`${server.base}/brown-mtp`, counting, { store, sha256: modelEntry('brown-mtp')!.sha256 });
    const first = await load();
    expect(first.fromCache).toBe(false);
    expect(requests).toHaveLength(3);
    const second = await load();
    expect(second.fromCache).toBe(true);
    expect(requests).toHaveLength(3);
    expect(second.tokenizer.encode('The jury said')).toEqual(first.tokenizer.encode('The jury said'));
    // A tokenizer copy with one byte changed: dropped, downloaded again, kept again.
    const entries = caches.caches.get(MODEL_CACHE)!;
    const url = `${server.base}/brown-mtp.tokenizer.json`;
    const damaged = entries.get(url)!.slice();
    damaged[10] ^= 1;
    entries.set(url, damaged);
    const third = await load();
    expect(third.fromCache).toBe(false);
    expect(requests.slice(3)).toEqual([url]);
    expect(third.storeNote).toMatch(/stale or damaged/);
    expect(await sha256Hex(entries.get(url)!)).toBe(modelEntry('brown-mtp')!.sha256.tokenizer);
  });
});
