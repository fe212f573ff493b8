// Conference-screen options from the address (src/app/kiosk.ts): good values are read, bad ones
// are ignored with a warning, and nothing throws, whatever the query; `model` picks the models the
// page loads and autoplay cycles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KIOSK_DEFAULTS, kioskCycle, kioskModel, kioskPrompts, parseKioskQuery } from '../../src/app/kiosk.ts';
import { MODELS } from '../../src/model/catalogue.ts';

function parse(search: string) {
  const warnings: string[] = [];
  return { options: parseKioskQuery(search, (m) => warnings.push(m)), warnings };
}

describe('kiosk query', () => {
  it('no query: nothing on, default hold', () => {
    expect(parse('')).toEqual({
      options: {
        autoplay: false,
        prompts: [],
        models: [],
        depth: undefined,
        tree: undefined,
        tokens: undefined,
        temperature: undefined,
        holdMs: KIOSK_DEFAULTS.holdMs,
        large: false,
      },
      warnings: [],
    });
  });

  it('reads every option, flags given bare or with a value', () => {
    const { options, warnings } = parse('?autoplay&prompt=The+jury+said&depth=1&tree=8&tokens=12&temperature=0.7&hold=5.5&large');
    expect(options).toEqual({
      autoplay: true,
      prompts: ['The jury said'],
      models: [],
      depth: 1,
      tree: 8,
      tokens: 12,
      temperature: 0.7,
      holdMs: 5500,
      large: true,
    });
    expect(warnings).toEqual([]);
    expect(parse('?autoplay=1&large=true').options).toMatchObject({ autoplay: true, large: true });
    expect(parse('?autoplay=0&large=off').options).toMatchObject({ autoplay: false, large: false });
    expect(parse('?AUTOPLAY').options.autoplay).toBe(false); // names are case-sensitive, as in URLSearchParams
  });

  it('keeps prompts verbatim, in order, any characters', () => {
    const prompts = ['Café «naïve» — 東京 🚀', 'a&b=c?', ''];
    const q = new URLSearchParams();
    for (const p of prompts) q.append('prompt', p);
    expect(parse(`?autoplay&${q}`).options.prompts).toEqual(prompts);
  });

  it('ignores bad values with a warning each, keeping the defaults', () => {
    for (const bad of [
      'depth=0',
      'depth=1.5',
      'depth=two',
      'depth=',
      'depth=17',
      'tree=17',
      'tree=-1',
      'tree=eight',
      'tokens=0',
      'tokens=-3',
      'tokens=1e9',
      'tokens=NaN',
      'tokens=Infinity',
      'hold=-1',
      'hold=soon',
      'hold=99999',
      'temperature=-0.1',
      'temperature=3',
      'temperature=hot',
    ]) {
      const { options, warnings } = parse(`?autoplay&${bad}`);
      expect(warnings, bad).toHaveLength(1);
      expect(warnings[0], bad).toContain(bad.split('=')[0]);
      expect(options.autoplay, bad).toBe(true);
      expect(options.depth, bad).toBeUndefined();
      expect(options.tree, bad).toBeUndefined();
      expect(options.tokens, bad).toBeUndefined();
      expect(options.temperature, bad).toBeUndefined();
      expect(options.holdMs, bad).toBe(KIOSK_DEFAULTS.holdMs);
    }
    const { options, warnings } = parse('?autoplay=maybe&large=huge');
    expect(options).toMatchObject({ autoplay: false, large: false });
    expect(warnings).toHaveLength(2);
  });

  it('warns through console.warn by default', () => {
    const warned: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warned.push(args.join(' '));
    try {
      expect(parseKioskQuery('?tokens=lots').tokens).toBeUndefined();
    } finally {
      console.warn = original;
    }
    expect(warned).toHaveLength(1);
  });

  it('never throws, and what it returns is always in range', () => {
    const key = fc.constantFrom('autoplay', 'prompt', 'model', 'depth', 'tokens', 'hold', 'large', 'other');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.string())), fc.string(), (pairs, junk) => {
        const q = new URLSearchParams(pairs);
        for (const search of [`?${q}`, junk, `?${junk}`]) {
          const { options } = parse(search);
          if (options.depth !== undefined) expect(Number.isInteger(options.depth) && options.depth >= 1).toBe(true);
          if (options.tokens !== undefined) expect(Number.isInteger(options.tokens) && options.tokens >= 1).toBe(true);
          expect(options.holdMs >= 0 && Number.isFinite(options.holdMs)).toBe(true);
          expect(Array.isArray(options.prompts)).toBe(true);
          expect(options.models.every((m) => MODELS.some((e) => e.name === m))).toBe(true);
        }
      }),
    );
  });

  it('autoplay cycles the given prompts, else the presets', () => {
    expect(kioskPrompts({ prompts: [] }, ['a', 'b'])).toEqual(['a', 'b']);
    expect(kioskPrompts({ prompts: ['x'] }, ['a', 'b'])).toEqual(['x']);
  });

  it('model=NAME, repeatable: catalogue names in order, each once; any other name is ignored with a warning', () => {
    const [a, b, c] = MODELS.map((m) => m.name);
    const { options, warnings } = parse(`?autoplay&model=${c}&model=nope&model=${a}&model=${c}&model=..%2Fsecret&model=`);
    expect(options.models).toEqual([c, a]);
    expect(warnings).toHaveLength(3);
    expect(warnings.every((w) => w.startsWith('kiosk: ignoring model='))).toBe(true);
    expect(warnings[0]).toContain('"nope"');
    expect(warnings[0]).toContain(`expected one of ${[a, b, c].join(', ')}`);
    expect(parse(`?model=${b}`)).toEqual({ options: expect.objectContaining({ models: [b], autoplay: false }), warnings: [] });
    // Names are exact: no case folding, no paths, no suffixes.
    for (const bad of [a.toUpperCase(), `${a}.safetensors`, `/models/${a}`, ` ${a}`])
      expect(parse(`?model=${encodeURIComponent(bad)}`).options.models, bad).toEqual([]);
  });

  it("the page loads the first model given, else the catalogue's first", () => {
    expect(kioskModel({ models: [] })).toBe(MODELS[0].name);
    expect(kioskModel({ models: [MODELS[2].name, MODELS[0].name] })).toBe(MODELS[2].name);
  });

  it('autoplay cycles the given models (else all, in catalogue order), each with its presets or the given prompts', () => {
    const presets = (name: string) => MODELS.find((m) => m.name === name)!.presets.map((p) => p.text);
    expect(kioskCycle({ models: [], prompts: [] })).toEqual(MODELS.map((m) => ({ model: m.name, prompts: presets(m.name) })));
    const [a, , c] = MODELS.map((m) => m.name);
    expect(kioskCycle({ models: [c, a], prompts: [] })).toEqual([
      { model: c, prompts: presets(c) },
      { model: a, prompts: presets(a) },
    ]);
    expect(kioskCycle({ models: [c], prompts: ['x', 'y'] })).toEqual([{ model: c, prompts: ['x', 'y'] }]);
    expect(kioskCycle({ models: [], prompts: ['x'] }).map((m) => m.prompts)).toEqual(MODELS.map(() => ['x']));
  });
});
