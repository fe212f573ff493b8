// What the page says about the engines' device: why the race runs on the CPU when it does, and what
// happens after the GPU device is lost. (The device report itself shows the details.)
import { clause } from '../model/errors.ts';
import type { Backend } from './backend.ts';
import type { Notice } from './race-types.ts';

/** The notice for a freshly built backend: none on WebGPU; on the CPU, why and what that means. */
export function backendNotices(backend: Backend): Notice[] {
  if (backend.kind !== 'cpu') return [];
  const failure = backend.failure;
  const why =
    failure?.reason === 'engine'
      ? `${clause(failure.message)} (a shader error, say).`
      : failure?.reason === 'hung'
        ? `${clause(failure.message)}.`
        : 'WebGPU is unavailable here (why: see the device report below).';
  return [
    {
      level: 'warn',
      text: `${why} The race runs on the ${backend.label} instead: the same decoding, in plain JavaScript, one position at a time.`,
    },
  ];
}

/** The notice once the device is lost: the engines come back at the next Run. */
export function lostDeviceNotice(why: string): Notice {
  return { level: 'warn', text: `${why} The engines will be rebuilt on a new device at the next Run.` };
}
