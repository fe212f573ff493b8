// Where a submission's row batches sit among the per-step uniform slots (RowBatchSlots in
// dispatch.ts). The slots are written once before a submit, so every row batch of one submission
// needs a slot of its own; their number follows from the model's D (mtp_depth).

export interface StepSlots {
  /** A prefill: the prompt's rows, its last row (the main head's), and module k0 + 1's prompt rows. */
  prefillRows: number;
  prefillHead: number;
  prefillModule(k0: number): number;
  /** A step: module k0 + 1's catch-up rows and its drafting head's rows, then the verify batch of a step of `depth` drafts. */
  moduleRows(k0: number): number;
  moduleHead(k0: number): number;
  verify(depth: number): number;
  /** The draft tree's compaction, the first batch of a submission after a side branch was kept. */
  compact: number;
  /** Slots in all. */
  count: number;
}

export function stepSlots(mtpDepth: number): StepSlots {
  if (!Number.isInteger(mtpDepth) || mtpDepth < 0) throw new RangeError(`step slots: mtp_depth ${mtpDepth}`);
  const module = (k0: number) => {
    if (!Number.isInteger(k0) || k0 < 0 || k0 >= mtpDepth) throw new RangeError(`step slots: no MTP module ${k0 + 1} of ${mtpDepth}`);
    return k0;
  };
  return {
    prefillRows: 0,
    prefillHead: 1,
    prefillModule: (k0) => 2 + module(k0),
    moduleRows: (k0) => 2 * module(k0),
    moduleHead: (k0) => 2 * module(k0) + 1,
    verify: (depth) => {
      if (!Number.isInteger(depth) || depth < 0 || depth > mtpDepth) throw new RangeError(`step slots: depth ${depth} of ${mtpDepth}`);
      return 2 * depth;
    },
    compact: 2 * mtpDepth + 1,
    count: 2 * mtpDepth + 2,
  };
}
