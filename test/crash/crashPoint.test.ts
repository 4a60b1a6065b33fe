import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { crashPoint, crashPointNames, parseCrashAt } from '../../src/faults/crashPoint.js';

describe('INGEST_CRASH_AT', () => {
  it.each([
    ['staging.midPage', { point: 'staging.midPage', hit: 1 }],
    ['staging.afterCommit:3', { point: 'staging.afterCommit', hit: 3 }],
    [' upload.afterUpload:1 ', { point: 'upload.afterUpload', hit: 1 }],
    [undefined, undefined],
    ['', undefined],
  ] as const)('parses %j', (value, expected) => {
    expect(parseCrashAt(value)).toEqual(expected);
  });

  it.each(['staging', 'staging.midpage', 'output.midWrite:0', 'output.midWrite:-1', 'output.midWrite:x', 'output.midWrite:1:2'])(
    'refuses %j, naming every valid point',
    (value) => {
      expect(() => parseCrashAt(value)).toThrow(ConfigError);
      expect(() => parseCrashAt(value)).toThrow(crashPointNames.join(', '));
    },
  );

  it('leaves a point alone unless the variable names it (the kill itself is proved over real processes)', () => {
    for (const name of crashPointNames) {
      expect(() => crashPoint(name, {})).not.toThrow();
      const other = crashPointNames.find((n) => n !== name)!;
      expect(() => crashPoint(name, { INGEST_CRASH_AT: `${other}:1` })).not.toThrow();
    }
  });

  it('a misspelt point fails the run loudly instead of never firing', () => {
    expect(() => crashPoint('staging.midPage', { INGEST_CRASH_AT: 'staging.mid-page' })).toThrow(ConfigError);
  });
});
