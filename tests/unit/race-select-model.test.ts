// Switching models in the race controller (RaceController.selectModel, src/app/race.ts), with the
// models loaded as the page loads them, by fetchModel over HTTP from public/models/ (a loopback
// server that can refuse, slow down or stall a file), on CPU engines with a fake clock.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fetchModel, type Backend } from '../../src/app/backend.ts';
import { RaceController } from '../../src/app/race.ts';
import type { RacePhase } from '../../src/app/race-types.ts';
import { VisibleClock } from '../../src/app/visible-clock.ts';
import { decode } from '../../src/decode/decode-run.ts';
import { modelEntry } from '../../src/model/catalogue.ts';
import { CpuEngine } from '../../src/model/cpu-engine.ts';
import { ReferenceModel } from '../../src/model/reference.ts';
import { MODELS_DIR, readModel } from '../../scripts/node-model.ts';
import { useModelServer } from '../helpers/model-server.ts';
import { FakeVisibility, newRig, request, TimedEngine } from '../helpers/timed-engine.ts';

describe('RaceController.selectModel (models fetched over HTTP, as the page loads them)', () => {
  const server = useModelServer();

  /** The models as the Node tools read them from disk: what the switch must end up with. */
  const onDisk = { brown: readModel('brown-mtp'), python: readModel('python-mtp') };
  const weightBytes = (name: string) => statSync(`${MODELS_DIR}${name}.safetensors`).size;

  function switching(first: string, { stallMs }: { stallMs?: number } = {}) {
    const rig = newRig();
    /** Engines built and disposed, in order ('create 0 brown-mtp', 'dispose 0', ...). */
    const events: string[] = [];
    const backends: { model: string; disposed: boolean }[] = [];
    const loads: { name: string; signal: AbortSignal }[] = [];
    const progress: { name: string; received: number; total?: number }[] = [];
    const phases: RacePhase[] = [];
    const controller: RaceController = new RaceController({
      model: first,
      loadModel: (name, { onProgress, signal }) => {
        loads.push({ name, signal });
        return fetchModel(`${server.base}/${name}`, fetch, { onProgress, signal, stallMs });
      },
      createBackend: async (w) => {
        const index = backends.length;
        const record = { model: controller.view().model!.name, disposed: false };
        backends.push(record);
        events.push(`create ${index} ${record.model}`);
        const reference = new ReferenceModel(w);
        return {
          kind: 'webgpu',
          label: `fake device ${index}`,
          baseline: new TimedEngine(rig, `${index}/baseline`, 10, reference),
          mtp: new TimedEngine(rig, `${index}/mtp`, 25, reference),
          lost: new Promise<string>(() => {}),
          dispose: () => {
            record.disposed = true;
            events.push(`dispose ${index}`);
          },
        } satisfies Backend;
      },
      clock: new VisibleClock(new FakeVisibility(), () => rig.t),
      onChange: () => {
        const v = controller.view();
        if (phases[phases.length - 1] !== v.phase) phases.push(v.phase);
        if (v.loading) progress.push({ ...v.loading });
      },
    });
    return { rig, events, backends, loads, progress, phases, controller };
  }

  it('mid-run: the old run stops after its current step, its engines go, and the new model shows with its name and depth D', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    expect(s.controller.view().model).toMatchObject({ name: 'brown-mtp', mtpDepth: onDisk.brown.weights.config.mtp_depth });
    let switched: Promise<void> | undefined;
    let inFlight = -1;
    let atSwitch: ReturnType<RaceController['view']> | undefined;
    s.rig.beforeStep = (_side, steps) => {
      if (steps === 5 && !switched) {
        switched = s.controller.selectModel('python-mtp');
        atSwitch = s.controller.view();
        inFlight = s.rig.log.length; // this step is logged next, and still runs
      }
    };
    await s.controller.run(request('The man said that', 60));
    await switched;

    // At once, before the old step had finished: nothing of the old model on show.
    expect(atSwitch).toMatchObject({
      phase: 'loading',
      selectedModel: 'python-mtp',
      model: undefined,
      baseline: undefined,
      mtp: undefined,
      result: undefined,
    });
    expect(atSwitch!.loading).toMatchObject({ name: 'python-mtp', title: modelEntry('python-mtp')!.title });
    // The step in flight finished; no step of the old engines after it; they were disposed before the new ones were built.
    expect(s.rig.log[inFlight].side.startsWith('0/')).toBe(true);
    expect(s.rig.log.slice(inFlight + 1).filter((e) => e.side.startsWith('0/'))).toEqual([]);
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 python-mtp']);
    expect(s.rig.maxInFlight).toBe(1);
    // The cancelled run never finished, and nothing failed.
    expect(s.phases).not.toContain('done');
    expect(s.phases).not.toContain('error');

    const view = s.controller.view();
    const config = onDisk.python.weights.config;
    expect(view.phase).toBe('idle');
    expect(view.model).toEqual({
      name: 'python-mtp',
      title: modelEntry('python-mtp')!.title,
      domain: 'code',
      mtpDepth: config.mtp_depth,
      maxSeqLen: config.max_seq_len,
      noRepeatNgram: onDisk.python.decoding.noRepeatNgram,
      fromCache: false,
    });
    expect(view.model!.mtpDepth).toBe(3);
    expect(view.loading).toBeUndefined();
    expect([view.baseline, view.mtp, view.result, view.prompt, view.depth]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // The weights' progress: from 0 to their size (the server sends content-length).
    const python = s.progress.filter((p) => p.name === 'python-mtp');
    expect(python[0]).toMatchObject({ received: 0 });
    // (Before the response came, the size was not known yet.)
    expect(python.filter((p) => p.received > 0).length).toBeGreaterThan(0);
    expect(python.filter((p) => p.received > 0).every((p) => p.total === weightBytes('python-mtp'))).toBe(true);
    expect(python[python.length - 1].received).toBe(weightBytes('python-mtp'));

    // A greedy run at the new model's full depth: both sides give its CPU reference's text, under its card's rule.
    const text = 'def read_config(path):\n    """Return the settings."""\n';
    await s.controller.run({ text, depth: 3, maxTokens: 16 });
    const result = s.controller.view().result!;
    const prompt = [onDisk.python.tokenizer.endOfText, ...onDisk.python.tokenizer.encode(text)];
    const expected = await decode(new CpuEngine(new ReferenceModel(onDisk.python.weights)), prompt, {
      depth: 0,
      maxTokens: 16,
      endOfText: onDisk.python.tokenizer.endOfText,
      noRepeatNgram: onDisk.python.decoding.noRepeatNgram,
    });
    expect(result.depth).toBe(3);
    expect(result.noRepeatNgram).toBe(onDisk.python.decoding.noRepeatNgram);
    expect(result.prompt.tokens).toEqual(prompt);
    expect(result.baseline.tokens).toEqual(expected.tokens);
    expect(result.mtp.tokens).toEqual(expected.tokens);
    expect(result.mtp.metrics.pooled.proposed).toBeGreaterThan(0);
  });

  it('a model the server lacks: the switch ends in an error naming the file, and another model loads after it', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    server.deny.add('python-mtp.safetensors');
    try {
      await s.controller.selectModel('python-mtp');
    } finally {
      server.deny.delete('python-mtp.safetensors');
    }
    let view = s.controller.view();
    expect(view.phase).toBe('error');
    expect(view.selectedModel).toBe('python-mtp');
    expect(view.model).toBeUndefined();
    expect(view.loading).toBeUndefined();
    const errors = view.runNotices.filter((n) => n.level === 'error').map((n) => n.text);
    expect(errors).toEqual([`Could not load the model python-mtp: ${server.base}/python-mtp.safetensors: not found (HTTP 404).`]);
    expect(s.backends[0].disposed).toBe(true);
    // A run now says why it cannot.
    await s.controller.run(request('The jury said', 4));
    expect(
      s.controller
        .view()
        .runNotices.map((n) => n.text)
        .join(' '),
    ).toMatch(/not loaded/);

    await s.controller.selectModel('brown-mtp');
    view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('brown-mtp');
    expect(view.runNotices).toEqual([]);
    await s.controller.run(request('The jury said', 6));
    expect(s.controller.view().phase).toBe('done');
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 brown-mtp']);
  });

  it('choosing again while a model downloads abandons that download; only the last choice is built', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    server.chunkDelayMs = 25;
    let first: Promise<void>;
    try {
      first = s.controller.selectModel('python-mtp');
      for (let i = 0; i < 400 && !((s.controller.view().loading?.received ?? 0) > 0); i++) await new Promise((r) => setTimeout(r, 10));
      expect(s.controller.view().loading).toMatchObject({ name: 'python-mtp' });
    } finally {
      server.chunkDelayMs = 0;
    }
    await Promise.all([first, s.controller.selectModel('kjv-mtp')]);
    const python = s.loads.find((l) => l.name === 'python-mtp')!;
    expect(python.signal.aborted).toBe(true);
    const partial = s.progress.filter((p) => p.name === 'python-mtp');
    expect(Math.max(...partial.map((p) => p.received))).toBeLessThan(weightBytes('python-mtp'));
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 kjv-mtp']);
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('kjv-mtp');
    expect(view.runNotices).toEqual([]);
  });

  it('picks back and forth, during a run and during a download: the last pick wins, and only it is built', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    const run = s.controller.run(request('The jury said', 40));
    await new Promise((r) => setTimeout(r, 20));
    server.chunkDelayMs = 5;
    try {
      // brown (racing) -> python -> brown -> python -> kjv -> python, each while the last one downloads.
      const picks = ['python-mtp', 'brown-mtp', 'python-mtp', 'kjv-mtp', 'python-mtp'].map((name) => s.controller.selectModel(name));
      expect(s.controller.view().selectedModel).toBe('python-mtp');
      await Promise.all([run, ...picks]);
    } finally {
      server.chunkDelayMs = 0;
    }
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('python-mtp');
    expect(view.selectedModel).toBe('python-mtp');
    expect(s.events).toEqual(['create 0 brown-mtp', 'dispose 0', 'create 1 python-mtp']);
    // Picking the model already there changes nothing: no new download, no new engines.
    const requests = server.requests.length;
    await s.controller.selectModel('python-mtp');
    expect(server.requests.length).toBe(requests);
    await s.controller.run(request('def parse(', 4));
    expect(s.controller.view().result?.engine).toBe('fake device 1');
  });

  it('a download that stalls ends in an error naming the file; picking the model again retries it', async () => {
    const s = switching('brown-mtp', { stallMs: 300 });
    await s.controller.start();
    server.faults.set('kjv-mtp.safetensors', { kind: 'stall', afterBytes: 1024 });
    try {
      await s.controller.selectModel('kjv-mtp');
    } finally {
      server.faults.clear();
    }
    let view = s.controller.view();
    expect(view.phase).toBe('error');
    expect(view.runNotices.map((n) => n.text).join(' ')).toContain(
      `Could not load the model kjv-mtp: ${server.base}/kjv-mtp.safetensors: the download stalled (no data for 0.3 s, after 1024 bytes).`,
    );
    await s.controller.selectModel('kjv-mtp');
    view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('kjv-mtp');
  });

  it('a name not in the catalogue is refused, and nothing changes', async () => {
    const s = switching('brown-mtp');
    await s.controller.start();
    await s.controller.selectModel('../brown-mtp');
    const view = s.controller.view();
    expect(view.phase).toBe('idle');
    expect(view.model?.name).toBe('brown-mtp');
    expect(view.selectedModel).toBe('brown-mtp');
    expect(view.runNotices.map((n) => n.text).join(' ')).toMatch(/unknown model "\.\.\/brown-mtp"/);
    expect(s.events).toEqual(['create 0 brown-mtp']);
    expect(server.requests.some((r) => r.includes('..'))).toBe(false);
  });
});
