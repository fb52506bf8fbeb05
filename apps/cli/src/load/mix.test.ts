import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMix, MixError, mixPicker, parseMix } from './mix.ts';
import { OptionError, parsePositive, parseSeconds, parseTarget } from './durations.ts';

test('a mix parses into percentages per operation; missing ones are 0', () => {
  assert.deepEqual(parseMix('place=70,get=25,list=5'), { place: 70, get: 25, list: 5 });
  assert.deepEqual(parseMix(' place = 100 '), { place: 100, get: 0, list: 0 });
  assert.equal(formatMix(parseMix('get=50,place=50')), 'place=50,get=50');
});

test('a mix that is not name=percent, names an unknown operation, repeats one or does not sum to 100 is refused', () => {
  for (const [text, message] of [
    ['place', /not name=percent/],
    ['buy=100', /unknown operation "buy"/],
    ['place=50,place=50', /given twice/],
    ['place=70,get=20', /sum to 90/],
    ['place=-10,get=110', /not name=percent/],
  ] as const) {
    assert.throws(() => parseMix(text), (e: unknown) => e instanceof MixError && message.test(e.message), text);
  }
});

test('the picker gives each operation its share of every 100 picks, interleaved', () => {
  const pick = mixPicker({ place: 70, get: 25, list: 5 });
  for (let round = 0; round < 3; round++) {
    const counts: Record<string, number> = { place: 0, get: 0, list: 0 };
    const seq: string[] = [];
    for (let i = 0; i < 100; i++) {
      const op = pick();
      counts[op]!++;
      seq.push(op);
    }
    assert.deepEqual(counts, { place: 70, get: 25, list: 5 });
    // interleaved: no run of the minority operation `get` longer than 1
    assert.ok(!seq.join(',').includes('get,get'));
  }
  const only = mixPicker({ place: 0, get: 100, list: 0 });
  assert.deepEqual([only(), only(), only()], ['get', 'get', 'get']);
});

test('durations, counts and the target URL are checked', () => {
  assert.equal(parseSeconds('--duration', '30'), 30);
  assert.equal(parseSeconds('--duration', '2m'), 120);
  assert.equal(parseSeconds('--duration', '500ms'), 0.5);
  assert.throws(() => parseSeconds('--duration', '0'), OptionError);
  assert.throws(() => parseSeconds('--duration', 'soon'), /--duration must be a positive duration/);
  assert.equal(parsePositive('--rate', '12.5'), 12.5);
  assert.throws(() => parsePositive('--connections', '1.5', true), /whole number/);
  assert.throws(() => parsePositive('--rate', '-1'), OptionError);
  assert.equal(parseTarget('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.throws(() => parseTarget('127.0.0.1:8080'), OptionError);
  assert.throws(() => parseTarget('ftp://x'), /http or https/);
});
