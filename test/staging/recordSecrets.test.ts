import { describe, expect, it } from 'vitest';
import { recordSecrets, secretsInRecord, type RecordSecrets } from '../../src/staging/index.js';

const secret = 'tok-"7f3a9"';
const masking = recordSecrets([secret, '98765432'], true)!;
const noting = recordSecrets([secret], false)!;

describe('secretsInRecord', () => {
  it('finds a secret wherever the record holds it, by field path, and masks it without touching the rest of the text', () => {
    const text =
      '{"id":1, "note":"sent with tok-\\"7f3a9\\" twice: tok-\\"7f3a9\\"", "auth":{"token":"tok-\\"7f3a9\\""},' +
      ' "urls":[{"u":"https://x/?k=tok-%227f3a9%22"}], "pin":98765432, "big":123456789012345678901234567890.10}';
    const found = secretsInRecord(text, masking);
    expect(found?.fields).toEqual(['note', 'auth.token', 'urls[].u', 'pin']);
    expect(found?.text).toBe(
      '{"id":1, "note":"sent with [REDACTED] twice: [REDACTED]", "auth":{"token":"[REDACTED]"},' +
        ' "urls":[{"u":"https://x/?k=[REDACTED]"}], "pin":"[REDACTED]", "big":123456789012345678901234567890.10}',
    );
    expect(() => JSON.parse(found!.text!) as unknown).not.toThrow();
  });

  it('names a field whose name holds the secret without it, and notes without masking when masking is off', () => {
    const text = `{"id":2,${JSON.stringify(`key ${secret}`)}:1,"deep":[[[{"x":${JSON.stringify(secret)}}]]]}`;
    expect(secretsInRecord(text, masking)).toEqual({
      fields: ['key [REDACTED]', 'deep[][][].x'],
      text: '{"id":2,"key [REDACTED]":1,"deep":[[[{"x":"[REDACTED]"}]]]}',
    });
    expect(secretsInRecord(text, noting)).toEqual({ fields: ['key [REDACTED]', 'deep[][][].x'] });
  });

  it('leaves a record without a secret alone, and searches for no secret too short to tell from ordinary text', () => {
    expect(secretsInRecord('{"id":3,"note":"tok-7f3a9"}', masking)).toBeUndefined();
    expect(recordSecrets(['a', 'abc12'], true)).toBeUndefined();
    const some = recordSecrets(['a', 'long-enough'], true) as RecordSecrets;
    expect(secretsInRecord('{"id":"a","v":"long-enough"}', some)?.fields).toEqual(['v']);
  });
});
