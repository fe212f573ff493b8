// What `npm run soak` (scripts/soak.ts) counts and how it prints it: the report's shape (also its --json)
// and the table.

export interface HeapSample {
  /** Seconds since the page was opened. */
  at: number;
  label: 'first' | 'periodic' | 'last';
  model: string | undefined;
  phase: string;
  usedMB: number;
  totalMB: number;
}

export interface Row {
  model: string;
  /** 'chain' or 'tree N' (verify rows). */
  mode: string;
  /** The finished runs' drafts: depth, and a tree's candidates per depth ("d3", "d3 2-3-2"). */
  drafts: string[];
  runs: number;
  errors: number;
  stalls: number;
  /** Mean MTP-over-baseline speedup of the finished runs. */
  speedups: number[];
}

/** What the init script records on every change of #app[data-state]. */
export interface StateEvent {
  state: string;
  /** Date.now() in the page. */
  at: number;
  model?: string;
  mode?: string;
  draft?: string;
  speedup?: number | null;
}

export interface SoakReport {
  url: string;
  mode: string;
  minutesAsked: number;
  minutesRun: number;
  interrupted: string | null;
  stallSeconds: number;
  totals: Counts & { errors: number };
  rows: (Omit<Row, 'speedups'> & { meanSpeedup: number | null })[];
  heap: { firstMB: number | null; lastMB: number | null; maxMB: number | null; growthPercent: number | null; samples: HeapSample[] };
  longestGapSeconds: Record<string, number>;
  stalls: { at: number; phase: string; model?: string; seconds: number }[];
  messages: { at: number; kind: string; text: string }[];
}

export interface Counts {
  runs: number;
  runErrors: number;
  noticeErrors: number;
  pageErrors: number;
  consoleErrors: number;
  crashes: number;
  reloads: number;
  stalls: number;
}

export interface PagePoll {
  phase: string;
  model?: string;
  /** Changes whenever anything moves: tokens on either side, bytes of a model, the phase, the prompt. */
  progress: string;
  tokens: number;
  errors: string[];
  events: StateEvent[];
}

export function formatReport(r: SoakReport): string {
  const t = r.totals;
  const lines = [
    `kiosk soak: ${r.minutesRun} min, ${r.mode}${r.interrupted ? ` (interrupted by ${r.interrupted})` : ''}`,
    '',
    table(
      ['model', 'mode', 'drafts', 'runs', 'failed', 'stalls', 'speedup'],
      [
        ...r.rows.map((x) => [
          x.model,
          x.mode,
          x.drafts.join(', ') || '-',
          String(x.runs),
          String(x.errors),
          String(x.stalls),
          x.meanSpeedup === null ? '-' : `${x.meanSpeedup.toFixed(2)}x`,
        ]),
        ['total', '', '', String(t.runs), String(t.runErrors), String(t.stalls), ''],
      ],
      3,
    ),
    '',
    table(
      ['runs', 'errors', 'stalls', 'heap first MB', 'last MB', 'max MB', 'growth'],
      [
        [
          String(t.runs),
          String(t.errors),
          String(t.stalls),
          mbCell(r.heap.firstMB),
          mbCell(r.heap.lastMB),
          mbCell(r.heap.maxMB),
          r.heap.growthPercent === null ? '-' : `${r.heap.growthPercent >= 0 ? '+' : ''}${r.heap.growthPercent}%`,
        ],
      ],
      0,
    ),
    '',
    `errors: ${t.runErrors} failed runs (the error phase), ${t.noticeErrors} error notices, ${t.pageErrors} page errors, ${t.consoleErrors} console errors, ${t.crashes} crashes; ${t.reloads} reloads`,
    `heap samples (MB after GC): ${r.heap.samples.map((s) => `${fmtClock(s.at)} ${s.usedMB.toFixed(2)}`).join(', ') || 'none'}`,
    `longest gap without progress (s, stall at ${r.stallSeconds}): ${
      Object.entries(r.longestGapSeconds)
        .map(([phase, s]) => `${phase} ${s}`)
        .join(', ') || '-'
    }`,
  ];
  return lines.join('\n');
}

export function errorCount(c: Counts): number {
  return c.runErrors + c.noticeErrors + c.pageErrors + c.consoleErrors + c.crashes;
}

/** A text table: the first `left` columns left-aligned, the rest (numbers) right-aligned. */
export function table(head: string[], body: string[][], left: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

// Function declarations, not consts: the main above runs (top-level await) before consts down here exist.
export function mb(bytes: number): number {
  return round(bytes / (1024 * 1024), 3);
}

export function mbCell(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

export function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

export function fmtClock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
