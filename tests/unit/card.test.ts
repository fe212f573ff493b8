// The decoding part of a model card: the no-repeat rule's n and the coverage draft trees are shaped by.
import { describe, expect, it } from 'vitest';
import { decodingSettings, ModelCardError } from '../../src/model/card.ts';
import { readModel } from '../../scripts/node-model.ts';

const card = (extra: object) => ({ decoding: { no_repeat_ngram: 3 }, ...extra });

describe('decodingSettings', () => {
  it('reads the shipped cards: the rule, and the teacher-forced coverage where the card has it', () => {
    const python = readModel('python-mtp').decoding;
    expect(python.noRepeatNgram).toBe(8);
    expect(python.treeCoverage).toHaveLength(3);
    python.treeCoverage!.forEach((row) => row.forEach((c, i) => expect(c).toBeGreaterThanOrEqual(i ? row[i - 1] : 0)));
    expect(readModel('brown-mtp').decoding.treeCoverage).toBeNull();
  });

  it('coverage per depth "1", "2", ..: a rising list of shares', () => {
    expect(
      decodingSettings(card({ validation: { top_k_coverage: { '1': [0.7, 0.9], '2': [0.6, 0.8] } } }), 'x.card.json').treeCoverage,
    ).toEqual([
      [0.7, 0.9],
      [0.6, 0.8],
    ]);
  });

  it('refuses coverage that is not shares, not rising, or not an object, naming the field', () => {
    for (const bad of [{ '1': [0.9, 0.7] }, { '1': [1.2] }, { '1': 'high' }, { '1': [] }, 'high']) {
      const f = () => decodingSettings(card({ validation: { top_k_coverage: bad } }), 'x.card.json');
      expect(f, JSON.stringify(bad)).toThrow(ModelCardError);
      expect(f, JSON.stringify(bad)).toThrow(/x\.card\.json: validation\.top_k_coverage/);
    }
  });
});
