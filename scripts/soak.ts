// A kiosk soak: the conference-screen page (`/?autoplay`, src/app/kiosk.ts) left running for an hour
// in headless Chromium (WebGPU on SwiftShader without a GPU), served by the Vite dev server, as
// `npm run bench:browser` and the e2e tests do (scripts/browser.ts). Not part of `npm test`.
//
//   npm run soak -- [--minutes M] [--tree N] [--json OUT]
//
// Autoplay cycles every catalogue model (no `model=` in the address) through its preset prompts.
// The kiosk takes one draft mode for the whole cycle: the chain (the default), or `--tree N` (the
// address's tree=N, N verify rows a step); it has no option to alternate chain and tree runs, so a
// soak of both modes is two soaks. For M minutes the script watches the page and counts:
//
// - completed runs, per model and mode (each time the page's #app[data-state] turns to "done");
// - errors: runs that ended in the error phase, error notices shown on the page, uncaught page
//   errors, console errors, and page crashes (the page is then opened again);
// - stalls: STALL_S seconds with no progress (no new token on either side, no bytes of a model
//   arriving, no change of phase) while the page says it is running or loading, or with no new run
//   started while it holds a result; each stall counts once however long it lasts. Also counted:
//   reloads (autoplay reloads the page itself after 3 minutes with no progress);
// - the JS heap after a forced GC (CDP HeapProfiler.collectGarbage, then Runtime.getHeapUsage),
//   taken while a finished result is held (between runs, as tests/e2e/kiosk.test.ts does), at the
//   first finished run, every few minutes, and at the end.
//
// At the end (or on SIGINT/SIGTERM) it prints a table, writes --json OUT if given, and closes the
// browser and the dev server. Exit status: 0, 1 when there were errors or stalls or no run
// finished, 2 for a bad option, 130/143 when interrupted.
import type { Browser, CDPSession, Page } from 'playwright-core';
import { readPage, recordStates } from './soak-page.ts';
import { launchChromium, startDevServer, type DevServer } from './browser.ts';
import { checkJsonPath, parseToolArgs, runCli, treeOption, UsageError, writeJsonFile } from './cli-options.ts';
import {
  errorCount,
  fmtClock,
  formatReport,
  mb,
  round,
  type Counts,
  type HeapSample,
  type PagePoll,
  type Row,
  type SoakReport,
  type StateEvent,
} from './soak-report.ts';

const USAGE = 'npm run soak -- [--minutes M] [--tree N] [--json OUT]';
/** Longest soak: a day. */
const MAX_MINUTES = 24 * 60;

/**
 * Seconds without progress that count as a stall: about three times the slowest legitimate gap, a
 * model switch on a busy machine (weights from the local server, then the engines and their
 * pipelines built, which gives no progress events; docs/journal.md), and well under autoplay's own
 * watchdog (3 minutes, then it reloads the page), so a hang is counted before the page hides it by
 * reloading. A held result gets the hold (3 s) on top before its next run is due.
 */
const STALL_S = 45;
const HOLD_S = 3;
/** How often the page is looked at. Less than the hold, so no finished run is missed by the stall clock. */
const POLL_MS = 1000;
/** A heap sample waits at most this long for a held result before it is taken mid-run. */
const HEAP_WAIT_FOR_DONE_MS = 60_000;
/** A CDP call or page.evaluate that takes longer than this counts as a hung page. */
const CALL_TIMEOUT_MS = 30_000;

await runCli(async () => {
  const { values } = parseToolArgs(
    { minutes: { type: 'string', default: '60' }, tree: { type: 'string', default: '0' }, json: { type: 'string' } },
    USAGE,
  );
  const minutes = Number(values.minutes);
  if (values.minutes.trim() === '' || !(minutes > 0 && minutes <= MAX_MINUTES))
    throw new UsageError(
      `--minutes must be a number above 0 and at most ${MAX_MINUTES}, got ${JSON.stringify(values.minutes)} (usage: ${USAGE})`,
    );
  const tree = treeOption(values.tree, false);
  checkJsonPath(values.json);
  const configuredMode = tree > 0 ? `tree ${tree}` : 'chain';
  const query = `?autoplay${tree > 0 ? `&tree=${tree}` : ''}`;
  const heapEveryS = Math.min(300, Math.max(30, Math.round((minutes * 60) / 12)));

  let server: DevServer | undefined;
  let browser: Browser | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await browser?.close().catch(() => {});
      await server?.close().catch(() => {});
    })());

  // SIGINT/SIGTERM: stop watching, report what was seen, close; a second signal closes at once.
  const stop = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      return;
    }
    signalled = signal;
    console.error(`\n${signal}: stopping the soak (again to quit at once)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Vite's servers (vite-node's and ours) listen for SIGTERM to close and exit at once, which would
  // cut the report short: this script closes them itself, so it drops every other listener.
  const ownSignals = () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      for (const listener of process.listeners(signal)) if (listener !== onSignal) process.off(signal, listener);
  };
  ownSignals();

  const rows = new Map<string, Row>();
  /** A model's row (errors and stalls go to the mode asked for; a finished run says its own). */
  const row = (model: string | undefined, mode = configuredMode): Row => {
    const key = `${model ?? '(none)'}\u0000${mode}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { model: model ?? '(none)', mode, drafts: [], runs: 0, errors: 0, stalls: 0, speedups: [] }));
    return r;
  };
  const messages: SoakReport['messages'] = [];
  const counts: Counts = { runs: 0, runErrors: 0, noticeErrors: 0, pageErrors: 0, consoleErrors: 0, crashes: 0, reloads: 0, stalls: 0 };
  const heap: HeapSample[] = [];
  const stalls: SoakReport['stalls'] = [];
  /** Longest time without progress seen in each phase (seconds), to judge STALL_S by. */
  const longestGap: Record<string, number> = {};

  /** When the page was first opened: the soak's clock. */
  let opened = Date.now();
  const since = () => Math.round((Date.now() - opened) / 100) / 10;
  const note = (kind: string, text: string) => {
    messages.push({ at: since(), kind, text });
    console.error(`[${fmtClock(since())}] ${kind}: ${text}`);
  };

  let exitCode = 0;
  try {
    server = await startDevServer();
    // This script closes the browser on SIGINT/SIGTERM itself, after its last heap sample (Playwright would kill it first).
    browser = await launchChromium({ webgpu: true, launch: { handleSIGINT: false, handleSIGTERM: false } });
    ownSignals();
    const url = `${server.url}${query}`;
    console.log(`soak: ${minutes} min of ${url} (${configuredMode}, every model), heap every ${heapEveryS} s, stall after ${STALL_S} s`);

    let page!: Page;
    let cdp!: CDPSession;
    let crashed = false;
    const open = async () => {
      page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (e) => {
        counts.pageErrors++;
        note('page error', e.message);
      });
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        counts.consoleErrors++;
        note('console error', `${m.text()} (${m.location().url})`);
      });
      page.on('crash', () => {
        crashed = true;
        counts.crashes++;
        note('crash', 'the page crashed');
      });
      let loads = 0;
      page.on('load', () => {
        if (loads++ > 0) {
          counts.reloads++;
          note('reload', 'the page reloaded itself (autoplay found no progress for minutes)');
        }
      });
      await page.addInitScript(recordStates);
      cdp = await page.context().newCDPSession(page);
      await page.goto(url);
    };
    opened = Date.now();
    await open();
    const end = opened + minutes * 60_000;
    let heapDueAt: number | undefined; // the first sample comes with the first finished run

    /** The page's state changes: finished runs, failed runs. */
    const countEvents = (events: readonly StateEvent[], now: number) => {
      for (const ev of events) {
        if (ev.state === 'done') {
          counts.runs++;
          const r = row(ev.model, ev.mode);
          r.runs++;
          if (typeof ev.speedup === 'number') r.speedups.push(ev.speedup);
          if (ev.draft && !r.drafts.includes(ev.draft)) r.drafts.push(ev.draft);
          heapDueAt ??= now; // the first finished run: the first sample
        } else if (ev.state === 'error') {
          counts.runErrors++;
          row(ev.model).errors++;
          note('run error', `the page is in the error phase (${ev.model ?? 'no model'})`);
        }
      }
    };

    const sampleHeap = async (label: HeapSample['label'], poll: PagePoll | undefined) => {
      await withTimeout(cdp.send('HeapProfiler.collectGarbage'), 'HeapProfiler.collectGarbage');
      const usage = await withTimeout(cdp.send('Runtime.getHeapUsage'), 'Runtime.getHeapUsage');
      const s: HeapSample = {
        at: since(),
        label,
        model: poll?.model,
        phase: poll?.phase ?? '?',
        usedMB: mb(usage.usedSize),
        totalMB: mb(usage.totalSize),
      };
      heap.push(s);
      console.log(`[${fmtClock(s.at)}] heap ${s.usedMB.toFixed(2)} MB after GC (${label}, ${s.model ?? 'no model'}, ${s.phase})`);
    };

    let lastPoll: PagePoll | undefined;
    let lastProgress = '';
    let lastProgressAt = Date.now();
    let inStall = false;
    let shownErrors = new Set<string>();
    let lastReport = Date.now();

    while (!stop.signal.aborted && Date.now() < end) {
      await sleep(POLL_MS, stop.signal);
      if (stop.signal.aborted) break;
      if (crashed) {
        crashed = false;
        await page.close().catch(() => {});
        await open();
        lastProgressAt = Date.now();
        continue;
      }
      let poll: PagePoll;
      try {
        poll = await withTimeout(page.evaluate(readPage), 'page.evaluate');
      } catch (e) {
        // A reload in progress destroys the context; a hung page times out (and counts as no progress).
        poll = { phase: lastPoll?.phase ?? '?', model: lastPoll?.model, progress: lastProgress, tokens: 0, errors: [], events: [] };
        if (!/context was destroyed|navigation|Target closed/i.test((e as Error).message)) note('watch', (e as Error).message);
      }
      const now = Date.now();

      countEvents(poll.events, now);
      // Error notices on the page: each one counts once while it is up.
      const errorsNow = new Set(poll.errors);
      for (const text of errorsNow)
        if (!shownErrors.has(text)) {
          counts.noticeErrors++;
          note('page notice', text);
        }
      shownErrors = errorsNow;

      // Stalls.
      if (poll.progress !== lastProgress) {
        lastProgress = poll.progress;
        lastProgressAt = now;
        inStall = false;
      }
      const gap = (now - lastProgressAt) / 1000;
      longestGap[poll.phase] = Math.max(longestGap[poll.phase] ?? 0, Math.round(gap * 10) / 10);
      const limit =
        poll.phase === 'running' || poll.phase === 'loading'
          ? STALL_S
          : poll.phase === 'done' || poll.phase === 'idle'
            ? STALL_S + HOLD_S
            : Infinity;
      if (!inStall && gap > limit) {
        inStall = true;
        counts.stalls++;
        row(poll.model).stalls++;
        stalls.push({ at: since(), phase: poll.phase, model: poll.model, seconds: Math.round(gap) });
        note('stall', `no progress for ${Math.round(gap)} s while ${poll.phase} (${poll.model ?? 'no model'}, ${poll.tokens} tokens)`);
      }

      // The heap, while a result is held (or mid-run when none comes for a minute).
      if (heapDueAt !== undefined && now >= heapDueAt && (poll.phase === 'done' || now - heapDueAt > HEAP_WAIT_FOR_DONE_MS)) {
        try {
          await sampleHeap(heap.length === 0 ? 'first' : 'periodic', poll);
        } catch (e) {
          note('heap', (e as Error).message);
        }
        heapDueAt = Date.now() + heapEveryS * 1000;
      }

      if (now - lastReport >= 60_000) {
        lastReport = now;
        console.log(
          `[${fmtClock(since())}] ${counts.runs} runs, ${errorCount(counts)} errors, ${counts.stalls} stalls; now ${poll.phase} on ${poll.model ?? 'no model'}`,
        );
      }
      lastPoll = poll;
    }

    // The last heap sample: at the next held result (a minute at most), or at once when interrupted.
    try {
      const deadline = Date.now() + (stop.signal.aborted ? 0 : HEAP_WAIT_FOR_DONE_MS);
      let poll = lastPoll;
      while (!stop.signal.aborted && poll?.phase !== 'done' && Date.now() < deadline) {
        await sleep(POLL_MS, stop.signal);
        poll = await withTimeout(page.evaluate(readPage), 'page.evaluate').catch(() => poll);
        countEvents(poll?.events ?? [], Date.now());
      }
      await sampleHeap('last', poll);
    } catch (e) {
      note('heap', (e as Error).message);
    }

    const report = buildReport();
    console.log('\n' + formatReport(report));
    if (values.json) writeJsonFile(values.json, JSON.stringify(report, null, 2) + '\n');
    exitCode = signalled ? (signalled === 'SIGINT' ? 130 : 143) : errorCount(counts) > 0 || counts.stalls > 0 || counts.runs === 0 ? 1 : 0;
  } finally {
    await close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.exit(exitCode);

  function buildReport(): SoakReport {
    const used = heap.map((s) => s.usedMB);
    const first = used[0];
    const last = used[used.length - 1];
    return {
      url: query,
      mode: configuredMode,
      minutesAsked: minutes,
      minutesRun: Math.round(since() / 6) / 10,
      interrupted: signalled ?? null,
      stallSeconds: STALL_S,
      totals: { ...counts, errors: errorCount(counts) },
      rows: [...rows.values()].map(({ speedups, ...r }) => ({
        ...r,
        meanSpeedup: speedups.length ? round(speedups.reduce((a, b) => a + b, 0) / speedups.length, 3) : null,
      })),
      heap: {
        firstMB: first ?? null,
        lastMB: last ?? null,
        maxMB: used.length ? Math.max(...used) : null,
        growthPercent: first && last !== undefined ? round(((last - first) / first) * 100, 1) : null,
        samples: heap,
      },
      longestGapSeconds: longestGap,
      stalls,
      messages,
    };
  }
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${CALL_TIMEOUT_MS / 1000} s (the page is hung?)`)), CALL_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
