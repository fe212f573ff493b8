// An in-memory stand-in for the browser's CacheStorage, with the calls src/app/model-store.ts makes
// (open, match, put, delete), for unit tests of the store's own logic in Node; the e2e tests use the
// real Cache API. `failPut` makes put reject as a browser over its quota does.

export class MemoryCaches {
  readonly caches = new Map<string, Map<string, Uint8Array>>();
  failPut?: Error;

  async open(name: string) {
    const entries = this.caches.get(name) ?? new Map<string, Uint8Array>();
    this.caches.set(name, entries);
    return {
      match: async (url: string) => {
        const bytes = entries.get(url);
        return bytes ? new Response(bytes.slice() as Uint8Array<ArrayBuffer>) : undefined;
      },
      put: async (url: string, response: Response) => {
        if (this.failPut) throw this.failPut;
        entries.set(url, new Uint8Array(await response.arrayBuffer()));
      },
      delete: async (url: string) => entries.delete(url),
    };
  }

  async delete(name: string) {
    return this.caches.delete(name);
  }

  /** This stand-in as the CacheStorage the store takes. */
  get storage(): CacheStorage {
    return this as unknown as CacheStorage;
  }
}
