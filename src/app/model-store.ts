// Model files kept for the next visit, in the browser's Cache API, each checked against the
// SHA-256 the catalogue records (src/model/catalogue.ts) every time it is read: a stale or damaged
// entry is dropped and the file fetched again, never used. Where there is no Cache API (an
// insecure context, an old browser) or the browser refuses to store (quota), the page downloads
// as before and says so; keeping a file never makes a load fail.

/** The Cache API storage the page keeps models in (bump the version to drop every old entry). */
export const MODEL_CACHE = 'mtp-models-v1';

export interface ModelStore {
  /** The file's bytes, if kept and still equal to `sha256`; a damaged entry is deleted. */
  read(url: string, sha256: string): Promise<Uint8Array | undefined>;
  /** Keeps the file's bytes, if they are the ones `sha256` names. */
  write(url: string, sha256: string, bytes: Uint8Array): Promise<void>;
  /** Forgets every kept file. */
  clear(): Promise<void>;
  /** What went wrong with keeping files, for a notice (once said, forgotten). */
  takeNote(): string | undefined;
}

/** SHA-256 of `bytes`, as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A store over `storage` (the page's `caches`), or one that keeps nothing and says why when there is none. */
export function cacheStore(storage: CacheStorage | undefined): ModelStore {
  let note: string | undefined;
  const say = (text: string) => (note ??= text);
  const takeNote = () => {
    const n = note;
    note = undefined;
    return n;
  };
  if (!storage || !globalThis.crypto?.subtle) {
    let told = false;
    return {
      read: async () => undefined,
      write: async () => {
        if (!told)
          say('Models are not kept for the next visit: this browser offers no Cache API here (an https page or localhost has one).');
        told = true;
      },
      clear: async () => {},
      takeNote,
    };
  }
  return {
    async read(url, sha256) {
      try {
        const cache = await storage.open(MODEL_CACHE);
        const hit = await cache.match(url);
        if (!hit) return undefined;
        const bytes = new Uint8Array(await hit.arrayBuffer());
        if ((await sha256Hex(bytes)) === sha256) return bytes;
        await cache.delete(url);
        say(`A kept copy of ${url} was stale or damaged: it was dropped and downloaded again.`);
      } catch (e) {
        say(`Kept models could not be read (${(e as Error).message}): downloading instead.`);
      }
      return undefined;
    },
    async write(url, sha256, bytes) {
      if ((await sha256Hex(bytes)) !== sha256) {
        say(`${url} is not the file this page expects (its SHA-256 differs): it was used but not kept.`);
        return;
      }
      try {
        const cache = await storage.open(MODEL_CACHE);
        await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(bytes.byteLength) } }));
      } catch (e) {
        const quota = (e as Error).name === 'QuotaExceededError';
        say(`Models are not kept for the next visit: ${quota ? 'the browser refused the space (quota)' : (e as Error).message}.`);
      }
    },
    async clear() {
      await storage.delete(MODEL_CACHE);
    },
    takeNote,
  };
}
