// Number options of the command-line tools, checked like the browser bench's query
// (src/app/bench-query.ts): a bad value prints "--name must be ..." and exits with status 2.
import { BenchQueryError, parseInteger, parseNumber } from '../src/app/bench-query.ts';

function orExit<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof BenchQueryError)) throw e;
    console.error(`--${e.message}`);
    process.exit(2);
  }
}

/** `--name`'s value as an integer in min..max. */
export const integerOption = (name: string, value: string, min: number, max: number): number =>
  orExit(() => parseInteger(name, value, min, max));

/** `--name`'s value as a finite number that passes `ok` (described by `want`). */
export const numberOption = (name: string, value: string, ok: (n: number) => boolean, want: string): number =>
  orExit(() => parseNumber(name, value, ok, want));
