// A static HTTP server over public/models/ for tests that load models the way the page does
// (src/app/backend.ts fetchModel over real HTTP, with content-length), on 127.0.0.1 and a free
// port. It can answer 404 for chosen files (a deployment that lacks them) and send bodies slowly,
// in chunks, so that a test can act while a download is under way. And it can break a chosen file
// the ways a network does (`faults`): cut its body short and close the socket, stop sending after
// some bytes and hold the connection open, or trickle it in small chunks.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

const MODELS_DIR = fileURLToPath(new URL('../../public/models/', import.meta.url));

/** How the server breaks one file's answer (full headers, content-length included, in every case). */
export type Fault =
  | { kind: 'truncate' } // half the body, then the socket is destroyed
  | { kind: 'stall'; afterBytes: number } // that many bytes, then nothing, the connection kept open
  | { kind: 'trickle'; chunkBytes: number; delayMs: number }; // the whole body, slowly

export interface ModelServer {
  /** e.g. http://127.0.0.1:41234/models: a model's files are `${base}/<name>.safetensors`, ... */
  base: string;
  /** File names (e.g. 'python-mtp.safetensors') answered with 404. */
  deny: Set<string>;
  /** Pause between 64 KiB chunks of a body (0: as fast as it goes). */
  chunkDelayMs: number;
  /** File names whose answers break (see Fault). */
  faults: Map<string, Fault>;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startModelServer(): Promise<ModelServer> {
  const state = { deny: new Set<string>(), faults: new Map<string, Fault>(), chunkDelayMs: 0, requests: [] as string[] };
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    state.requests.push(path);
    const name = path.replace(/^\/models\//, '');
    const file = `${MODELS_DIR}${name}`;
    if (!path.startsWith('/models/') || name.includes('/') || state.deny.has(name) || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': statSync(file).size });
    const fault = state.faults.get(name);
    if (fault) {
      breakAnswer(fault, readFileSync(file), res, held);
      return;
    }
    const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
    if (state.chunkDelayMs <= 0) {
      stream.pipe(res);
      return;
    }
    stream.on('data', (chunk) => {
      stream.pause();
      res.write(chunk);
      setTimeout(() => stream.resume(), state.chunkDelayMs);
    });
    stream.on('end', () => res.end());
    res.on('close', () => stream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('model server: no port');
  return {
    base: `http://127.0.0.1:${address.port}/models`,
    get deny() {
      return state.deny;
    },
    get faults() {
      return state.faults;
    },
    get chunkDelayMs() {
      return state.chunkDelayMs;
    },
    set chunkDelayMs(ms: number) {
      state.chunkDelayMs = ms;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends `body` broken as `fault` says; a stalled answer stays in `held` until the server closes. */
function breakAnswer(fault: Fault, body: Buffer, res: ServerResponse, held: Set<ServerResponse>): void {
  switch (fault.kind) {
    case 'truncate':
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    case 'stall':
      res.write(body.subarray(0, fault.afterBytes));
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    case 'trickle': {
      let at = 0;
      const timer = setInterval(() => {
        res.write(body.subarray(at, at + fault.chunkBytes));
        at += fault.chunkBytes;
        if (at >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, fault.delayMs);
      res.on('close', () => clearInterval(timer));
      return;
    }
  }
}

/** A model server for the file (or describe block) that calls this: started before its first test, closed after its last. */
export function useModelServer(): ModelServer {
  let started: ModelServer | undefined;
  beforeAll(async () => {
    started = await startModelServer();
  });
  afterAll(async () => {
    await started?.close();
  });
  const server = () => {
    if (!started) throw new Error('model server: not started yet (use it inside a test)');
    return started;
  };
  return {
    get base() {
      return server().base;
    },
    get deny() {
      return server().deny;
    },
    get chunkDelayMs() {
      return server().chunkDelayMs;
    },
    set chunkDelayMs(ms: number) {
      server().chunkDelayMs = ms;
    },
    get faults() {
      return server().faults;
    },
    get requests() {
      return server().requests;
    },
    close: () => server().close(),
  };
}
