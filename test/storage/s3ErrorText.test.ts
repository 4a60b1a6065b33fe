import { describe, expect, it } from 'vitest';
import { describeS3Error, metadataProblems, redactKeyMaterial } from '../../src/storage/index.js';

describe('redactKeyMaterial', () => {
  it.each([
    ['access key id', 'key AKIAIOSFODNN7EXAMPLE is unknown', 'key [redacted] is unknown'],
    ['temporary key id', 'ASIAXXXXXXXXXXXXXXXX expired', '[redacted] expired'],
    ['secret-shaped string', 'secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here', 'secret [redacted] here'],
    ['signing fields', 'Credential=AKIA123/2026/us-east-1/s3, Signature=deadbeef', 'Credential=[redacted], Signature=[redacted]'],
    ['plain message untouched', 'The specified bucket does not exist', 'The specified bucket does not exist'],
  ])('%s', (_name, input, expected) => {
    expect(redactKeyMaterial(input)).toBe(expected);
  });

  it('removes known secrets of any shape', () => {
    expect(redactKeyMaterial('bad key S3RVER-local', ['S3RVER-local'])).toBe('bad key [redacted]');
  });
});

describe('describeS3Error', () => {
  it('summarises code, status and a redacted message, ignoring echoed fields', () => {
    const sdkLike = Object.assign(new Error('The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist'), {
      name: 'InvalidAccessKeyId',
      AWSAccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    expect(describeS3Error(sdkLike)).toBe('InvalidAccessKeyId HTTP 403: The AWS Access Key Id [redacted] does not exist');
  });

  it('copes with non-errors', () => {
    expect(describeS3Error('boom')).toBe('boom');
    expect(describeS3Error(undefined)).toBe('undefined');
  });
});

describe('metadataProblems', () => {
  it('accepts plain run facts', () => {
    expect(metadataProblems({ 'run-id': 'r1', 'record-count': '100000', format: 'parquet' })).toEqual([]);
  });

  it.each([
    [{ 'api-token': 'x' }, /looks like a secret/],
    [{ password: 'x' }, /looks like a secret/],
    [{ note: 'AKIAIOSFODNN7EXAMPLE' }, /looks like key material/],
    [{ sha256: 'x' }, /reserved/],
    [{ 'Bad Name': 'x' }, /lower-case/],
    [{ note: 'é' }, /printable ASCII/],
    [{ note: 'x'.repeat(3000) }, /S3 allows 2048/],
  ])('rejects %j', (metadata, pattern) => {
    expect(metadataProblems(metadata).join('\n')).toMatch(pattern);
  });
});
